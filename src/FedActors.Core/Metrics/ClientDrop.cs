using FedActors.Core.Protocol;

namespace FedActors.Core.Metrics;

/// <summary>A client left out of a round, why, and the details a user needs to find out more.</summary>
public sealed record ClientDrop(ClientId Client, DropReason Reason, string Detail);
