using System.Collections.Immutable;
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
/// A transport layer's local stand-in registers a client that lives on another node: the sender
/// (the stand-in, which the coordinator watches and sends that client's requests to) speaks for
/// <paramref name="Client"/>, and a <see cref="NodeUnreachable"/> naming <paramref name="Node"/>
/// drops it. Otherwise it is a <see cref="RegisterClient"/>. A stand-in, not the remote actor,
/// because remote death watch quarantines a node it loses for good, and a client node cut off for
/// a while must be able to come back.
/// </summary>
public sealed record RegisterClientOnNode(ClientId Client, Address Node) : INoSerializationVerificationNeeded;

/// <summary>
/// A parent in the coordinator's own actor system (a simulation's <c>ClientShard</c>) registers
/// its clients at once: each is registered as if its actor had sent <see cref="RegisterClient"/>,
/// except that the parent reports its stop (<see cref="ClientStopped"/>) instead of the coordinator
/// watching it, and the sender gets one <see cref="ClientsRegistered"/> instead of an
/// acknowledgement per client. A million clients are then a thousand messages, not two million.
/// It carries actor references, so it never leaves the process; remote clients keep the per-client
/// protocol.
/// </summary>
public sealed record RegisterClients(ImmutableArray<ClientActor> Clients) : INoSerializationVerificationNeeded;

/// <summary>A client and the actor that speaks for it, in <see cref="RegisterClients"/>.</summary>
public readonly record struct ClientActor(ClientId Client, IActorRef Actor);

/// <summary>The coordinator's acknowledgement of a <see cref="RegisterClients"/>: every one of its <paramref name="Count"/> clients is registered.</summary>
public sealed record ClientsRegistered(int Count) : INoSerializationVerificationNeeded;

/// <summary>
/// A shard that registered its clients with <see cref="RegisterClients"/> reports that one of them
/// stopped: the coordinator does not death-watch those clients (a million watches cost half the
/// registration time, in their system messages and the watcher's growing table), their parent
/// learns of every child's end anyway, and the coordinator treats this as that actor's
/// <see cref="Terminated"/>.
/// </summary>
public sealed record ClientStopped(IActorRef Actor) : INoSerializationVerificationNeeded;

/// <summary>
/// A node's clients cannot be reached (a transport layer's failure detector said so): the
/// coordinator drops them from the phase in progress at once, instead of at its deadline, and
/// samples none of them until <see cref="NodeReachable"/>.
/// </summary>
public sealed record NodeUnreachable(Address Node) : INoSerializationVerificationNeeded;

/// <summary>A node that was unreachable can be reached again: its clients may be sampled.</summary>
public sealed record NodeReachable(Address Node) : INoSerializationVerificationNeeded;
