using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Training;

namespace FedActors.Core.Client;

/// <summary>
/// Root of a process's <see cref="FederatedClient"/>s. The clients live under shards of at most
/// <see cref="ShardSize"/> (<see cref="ClientShard"/>), which supervise them: a trainer fault
/// restarts the client (up to the configured limit), while a fault that restarting cannot cure
/// (bad configuration, a constructor that throws) stops it. The coordinator then sees a failure
/// reply or a termination, never the exception itself.
/// </summary>
/// <remarks>
/// Two levels, not one parent of every client: Akka keeps a parent's children in an immutable
/// dictionary, so under one parent each new child of a million cost a path of about twenty new
/// tree nodes, and creation ran on one thread. Shards keep those trees small and create their
/// children in parallel.
/// </remarks>
public sealed class ClientSupervisor : ReceiveActor
{
    /// <summary>The most clients under one shard.</summary>
    public const int ShardSize = 1000;

    /// <summary>Creates the supervisor and its shards; use <see cref="Props"/>.</summary>
    public ClientSupervisor(
        ClientSupervisorSettings settings,
        IActorRef coordinator,
        IReadOnlyList<ClientId> clients,
        Func<ClientId, ITrainer> trainerFactory,
        ClientStateStore state,
        bool registerInBulk)
    {
        var clientProps = FederatedClient.ForNamedChildren(coordinator, trainerFactory, state, settings.RegistrationRetry, settings.LocalDp, parentRegisters: registerInBulk)
            .WithDispatcher(RoundCoordinator.TrainingDispatcher);
        for (var (start, shard) = (0, 0); start < clients.Count; start += ShardSize, shard++)
        {
            var ids = new ClientId[Math.Min(ShardSize, clients.Count - start)];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = clients[start + i];
            }

            Context.ActorOf(ClientShard.Props(settings, clientProps, ids, registerInBulk ? coordinator : null), $"shard-{shard}");
        }

        // A new coordinator (a restarted or migrated server) reaches every client through here.
        Receive<UseCoordinator>(m =>
        {
            foreach (var child in Context.GetChildren())
            {
                child.Forward(m);
            }
        });
    }

    /// <summary>Props for a supervisor that starts one client per id, their kept state in <paramref name="state"/>.</summary>
    /// <param name="settings">Supervision and registration settings.</param>
    /// <param name="coordinator">Where the clients register: the coordinator, or a transport layer's link to it.</param>
    /// <param name="clients">The clients' ids.</param>
    /// <param name="trainerFactory">Creates a trainer per request.</param>
    /// <param name="state">The clients' kept state.</param>
    /// <param name="registerInBulk">
    /// True when <paramref name="coordinator"/> is a <c>RoundCoordinator</c> in this actor system (a
    /// simulation): each shard registers its clients in one <see cref="RegisterClients"/>. False for
    /// a transport layer's link, which speaks the per-client protocol: each client registers itself.
    /// </param>
    public static Props Props(
        ClientSupervisorSettings settings,
        IActorRef coordinator,
        IReadOnlyList<ClientId> clients,
        Func<ClientId, ITrainer> trainerFactory,
        ClientStateStore state,
        bool registerInBulk = false) =>
        Akka.Actor.Props.Create(() => new ClientSupervisor(settings, coordinator, clients, trainerFactory, state, registerInBulk));

    /// <summary>The child actor's name for a client id: the id, escaped to what actor paths allow.</summary>
    public static string ActorNameFor(ClientId id) => Uri.EscapeDataString(id.Value);

    /// <summary>The client id of a child named by <see cref="ActorNameFor"/>; an id with nothing to escape is its name's own string.</summary>
    public static ClientId ClientIdOf(string actorName) => new(Uri.UnescapeDataString(actorName));
}
