using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Cluster.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Cluster.Client;

/// <summary>
/// A client node: an actor system outside the server's cluster that hosts some of a run's clients
/// over data it owns, with a <see cref="ServerLink"/> for their coordinator. The clients are Core's
/// own <see cref="FederatedClient"/>s under Core's supervisor, as in a simulation.
/// </summary>
public static class ClientNode
{
    /// <summary>The link's actor name.</summary>
    public const string LinkName = "server-link";

    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(3);

    /// <summary>Starts a client node and returns once it is listening.</summary>
    /// <param name="settings">Core's settings and the run's configuration (the clients' part of it is used).</param>
    /// <param name="cluster">The cluster layer's settings; its seed is the server to dial.</param>
    /// <param name="clients">The ids of the clients this node hosts.</param>
    /// <param name="trainerFactory">Creates a trainer for one of them, over this node's data.</param>
    /// <param name="layout">The layout of the model the trainers expect, which the server checks.</param>
    /// <exception cref="Akka.Configuration.ConfigurationException">The seed is missing or malformed.</exception>
    public static ClientNodeHandle Start(RuntimeSettings settings, ClusterSettings cluster, IReadOnlyList<ClientId> clients, Func<ClientId, ITrainer> trainerFactory, ParameterLayout layout)
    {
        var seed = cluster.SeedAddress();
        if (clients.Count == 0)
        {
            throw new ArgumentException("a client node needs at least one client", nameof(clients));
        }

        // A client node checks the server's certificate against the federation CA too; it keeps no audit log.
        var trust = cluster.Tls.Enabled ? new Security.FederationTrust(cluster.Tls.Ca!, cluster.Tls.DenyListPath, audit: null) : null;
        var system = ActorSystem.Create(cluster.SystemName, NodeConfig.Setup(cluster, NodeConfig.Client(cluster, seed, settings.Config), trust, checkServerName: true));
        var store = OpenStore(settings, cluster, system);
        var outcome = new TaskCompletionSource<ClientNodeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = system.ActorOf(ServerLink.Props(cluster, seed, [.. clients], layout, outcome), LinkName);

        // Akka.Remote 1.5.74 stops a node whose outbound TLS handshake fails (CoordinatedShutdown,
        // TlsHandshakeFailureReason): the node then ends saying so, rather than waiting for ever.
        _ = system.WhenTerminated.ContinueWith(
            _ => outcome.TrySetResult(new ClientNodeOutcome(false, StoppedReason(system, seed, trust, cluster.Tls.Certificate))),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        system.ActorOf(ClientSupervisor.Props(settings.Clients, link, clients, trainerFactory, store), "clients");
        LeaveOnStop(system, link);
        return new ClientNodeHandle(system, store, outcome.Task);
    }

    // With a state directory, what the node's clients keep (their local-DP release counts above
    // all) outlives the node; without one, a restarted node's clients count their releases from zero.
    private static ClientStateStore OpenStore(RuntimeSettings settings, ClusterSettings cluster, ActorSystem system)
    {
        if (cluster.StateDirectory.Length > 0)
        {
            try
            {
                return ClientStateStore.OpenPersistent(cluster.StateDirectory, settings.Clients.StateMemoryBudget);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                system.Terminate().Wait();
                throw new Akka.Configuration.ConfigurationException($"'fedactors.cluster.client.state-directory' is '{cluster.StateDirectory}', which does not open as this node's client state: {e.Message}");
            }
        }

        if (settings.Clients.LocalDp is not null)
        {
            Akka.Event.LoggingExtensions.Warning(system.Log, "Local DP is on and 'fedactors.cluster.client.state-directory' is not set: the clients' release counts live in memory, so if this node restarts, their composed local epsilon counts from zero again and understates what they released. Give the node a folder of its own to keep them");
        }

        return new ClientStateStore(settings.Clients.StateMemoryBudget, settings.Clients.StateSpillDirectory);
    }

    // The node knows why it refused the server's certificate; the server's reasons for refusing the
    // node's are in the server's log and audit log only.
    private static string StoppedReason(ActorSystem system, Address seed, Security.FederationTrust? trust, System.Security.Cryptography.X509Certificates.X509Certificate2? mine)
    {
        var reason = CoordinatedShutdown.Get(system).ShutdownReason;
        if (reason?.GetType().Name != "TlsHandshakeFailureReason")
        {
            return $"the node stopped ({reason?.ToString() ?? "its actor system terminated"}) before the server's run ended";
        }

        var failed = $"the TLS handshake with the server at {seed} failed and Akka.Remote stopped this node";
        return trust?.LastRefusal is { } refusal
            ? $"{failed}: this node refused the server's certificate: {refusal}"
            : $"{failed}: this node accepted the server's certificate, so the server refused this node's certificate ({mine?.Subject}: another CA, revoked or expired; the server's log and audit log say which), or the handshake failed otherwise (see the log above)";
    }

    // Stopped by its operator (SIGTERM, Ctrl-C: CoordinatedShutdown with StopRequested), the node
    // tells the server it leaves before it shuts down, so that its clients leave the round in
    // progress at once; a server that does not answer within LeaveTimeout is not waited for.
    private static void LeaveOnStop(ActorSystem system, IActorRef link)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "fedactors-leave", async () =>
        {
            if (shutdown.ShutdownReason is StopRequested stop)
            {
                try
                {
                    await link.Ask<Akka.Done>(new ServerLink.Leave(stop.Signal), LeaveTimeout).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    // The connection's close tells the server too.
                }
            }

            return Akka.Done.Instance;
        });
    }
}

/// <summary>A running client node.</summary>
public sealed class ClientNodeHandle : IAsyncDisposable
{
    private readonly ClientStateStore _store;

    internal ClientNodeHandle(ActorSystem system, ClientStateStore store, Task<ClientNodeOutcome> outcome)
    {
        System = system;
        _store = store;
        Outcome = outcome;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The node's address, as the server knows it.</summary>
    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>Completes when the server ends the run or refuses the node, or the node cannot reach it.</summary>
    public Task<ClientNodeOutcome> Outcome { get; }

    /// <summary>Leaves: terminates the node's actor system.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        _store.Dispose();
    }
}
