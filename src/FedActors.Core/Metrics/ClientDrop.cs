using FedActors.Core.Protocol;

namespace FedActors.Core.Metrics;

/// <summary>A client left out of a phase of a round, why, and the details a user needs to find out more.</summary>
/// <param name="Client">Who was dropped.</param>
/// <param name="Phase">The phase it was dropped from (<c>fit</c>, <c>evaluate</c>, ...).</param>
/// <param name="Reason">Why, as a category.</param>
/// <param name="Detail">Why, in words.</param>
public sealed record ClientDrop(ClientId Client, string Phase, DropReason Reason, string Detail);
