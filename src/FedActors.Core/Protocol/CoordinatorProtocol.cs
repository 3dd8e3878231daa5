using Akka.Actor;

namespace FedActors.Core.Protocol;

// Messages from a transport layer (FedActors.Cluster, a host app) to the actors of its own
// process. They never cross the wire, so Core defines them without Akka.Cluster.

/// <summary>
/// Tells a client which coordinator to register with: a restarted or migrated server. The
/// client registers again, retrying until it is acknowledged.
/// </summary>
public sealed record UseCoordinator(IActorRef Coordinator) : INoSerializationVerificationNeeded;

/// <summary>
/// A node's clients cannot be reached (a transport layer's failure detector said so): the
/// coordinator drops them from the phase in progress at once, instead of at its deadline, and
/// samples none of them until <see cref="NodeReachable"/>.
/// </summary>
public sealed record NodeUnreachable(Address Node) : INoSerializationVerificationNeeded;

/// <summary>A node that was unreachable can be reached again: its clients may be sampled.</summary>
public sealed record NodeReachable(Address Node) : INoSerializationVerificationNeeded;
