using System.Globalization;
using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Failover;
using FedActors.Cluster.Security;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Server;
using FedActors.Core.Simulation;

namespace FedActors.Cluster.Server;

/// <summary>
/// A server node: a member with role <c>server</c> of the server nodes' Akka cluster (one node
/// alone, or its peers: <c>fedactors.cluster.server.peers</c>), hosting the manager of the server
/// singleton (<see cref="ActiveServer"/>): the oldest server node runs the coordinator of
/// <see cref="CoordinatorRun"/> (the simulation's own) and the <see cref="ClientGateway"/> that
/// client nodes reach through the receptionist, and when it dies the next oldest takes over from
/// the shared checkpoint store.
/// </summary>
public static class ServerNode
{
    // Joining takes about a second; far longer means remoting did not start or no peer answered.
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    // Telling the client nodes, and what a stop does besides the round.
    private static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan NoticeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts the server node and returns once it is a cluster member and listening (the server itself starts on the oldest server node).</summary>
    /// <param name="settings">Core's settings and the run's configuration.</param>
    /// <param name="cluster">The cluster layer's settings.</param>
    /// <param name="setup">The initial model, the strategy, the evaluator and checkpoints; <see cref="SimulationSetup.Clients"/> are the clients every round waits for before the first.</param>
    /// <param name="onRound">Called after each record, on an actor thread.</param>
    /// <param name="ct">Stops waiting for the cluster to come up.</param>
    /// <exception cref="Akka.Configuration.ConfigurationException">The checkpoint store's keys are wrong, or this node is not among its peers.</exception>
    public static async Task<ServerNodeHandle> StartAsync(RuntimeSettings settings, ClusterSettings cluster, SimulationSetup setup, Action<RoundRecord>? onRound = null, CancellationToken ct = default)
    {
        var store = CheckpointStoreSettings.Read(settings.Config);
        if (cluster.Peers.Length > 0 && !store.Sql)
        {
            throw new Akka.Configuration.ConfigurationException(
                "'fedactors.cluster.server.peers' lists server nodes, and 'fedactors.cluster.server.checkpoint-store' is folder: server nodes that take over from each other share the database store (checkpoint-store = sql), which also holds their lease");
        }

        // Finishing the round in progress takes at most its phases' deadlines (fit, then federated evaluation) and the work between them.
        var stopTimeout = cluster.FinishRoundOnStop ? (settings.Server.RoundTimeout * 2) + StopMargin : StopMargin;
        var config = NodeConfig.Server(cluster, settings.Config, stopTimeout);
        if (store.Sql)
        {
            config = config.WithFallback(SqlCheckpointStore.Config(store));
        }

        var audit = cluster.AuditLogPath.Length > 0 ? new AuditLog(cluster.AuditLogPath) : null;
        var trust = cluster.Tls.Enabled ? new FederationTrust(cluster.Tls.Ca!, cluster.Tls.DenyListPath, audit) : null;
        ActorSystem system;
        try
        {
            system = ActorSystem.Create(cluster.SystemName, NodeConfig.Setup(cluster, config, trust, checkServerName: false));
        }
        catch
        {
            audit?.Dispose();
            throw;
        }

        try
        {
            var member = Akka.Cluster.Cluster.Get(system);
            if (cluster.Peers.Length > 0 && !cluster.Peers.Contains(member.SelfAddress))
            {
                throw new Akka.Configuration.ConfigurationException(
                    $"this server node is {member.SelfAddress}, which 'fedactors.cluster.server.peers' does not list ({string.Join(", ", cluster.Peers)}): give every server node the same list, with each node's own address in it");
            }

            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            member.RegisterOnMemberUp(() => up.TrySetResult());
            if (cluster.Peers.Length == 0)
            {
                // A one-node cluster: the server is its own seed, at the port it was given or got.
                member.Join(member.SelfAddress);
            }
            else
            {
                member.JoinSeedNodes(cluster.Peers);
            }

            try
            {
                await up.Task.WaitAsync(JoinTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException(cluster.Peers.Length == 0
                    ? $"the server node at {member.SelfAddress} did not come up as a member of its own cluster within {JoinTimeout}; its log says why (a port in use, a transport that did not start)"
                    : $"the server node at {member.SelfAddress} did not join its peers ({string.Join(", ", cluster.Peers)}) within {JoinTimeout}: is the first of them running, or is this node the first ('fedactors.cluster.server.peers')?");
            }

            var node = new ServerNodeState();
            var address = member.SelfAddress.ToString();
            _ = system.WhenTerminated.ContinueWith(_ => node.Stopped(address), TaskScheduler.Default);
            system.ActorOf(
                ClusterSingletonManager.Props(
                    ActiveServer.Props(settings, cluster, setup, store, onRound, node, trust, audit),
                    PoisonPill.Instance,
                    ClusterSingletonManagerSettings.Create(system)),
                NodeConfig.ServerManagerName);
            StopRunOnRequest(system, node, cluster);
            return new ServerNodeHandle(system, member.SelfAddress, node, audit);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            audit?.Dispose();
            throw;
        }
    }

    // Stopped by its operator (SIGTERM, Ctrl-C: CoordinatedShutdown with StopRequested), the node
    // running the server stops the run as on-stop says (its last completed round is checkpointed),
    // tells the client nodes the run is stopped, and only then leaves. A shutdown for any other
    // reason (the run's end) does neither; nor does a node that does not run the server, or one
    // with peers: there the singleton moves to the next oldest server node, which resumes from the
    // store, so the run goes on. The phase's timeout (NodeConfig) bounds the wait.
    private static void StopRunOnRequest(ActorSystem system, ServerNodeState node, ClusterSettings cluster)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "fedactors-stop-run", async () =>
        {
            if (shutdown.ShutdownReason is not StopRequested stop || cluster.Peers.Length > 1
                || node.Coordinator is not { } coordinator || node.Gateway is not { } gateway || node.Outcome.IsCompleted)
            {
                return Done.Instance;
            }

            coordinator.Tell(new StopRun($"stopped by {stop.Signal}", cluster.FinishRoundOnStop));
            var outcome = await node.Outcome.ConfigureAwait(false);
            if (outcome.StoppedAfter is { } round)
            {
                var detail = $"it was stopped by {stop.Signal} after round {round.Value}, and continues from round {round.Value + 1} when restarted with --resume; start this node again then";
                await gateway.Ask<Done>(new EndRun(false, detail, Interrupted: true), NoticeTimeout).ConfigureAwait(false);
            }

            return Done.Instance;
        });
    }
}

/// <summary>A running server node.</summary>
public sealed class ServerNodeHandle : IAsyncDisposable
{
    private readonly ServerNodeState _node;
    private readonly AuditLog? _audit;

    internal ServerNodeHandle(ActorSystem system, Address address, ServerNodeState node, AuditLog? audit)
    {
        _audit = audit;
        System = system;
        Address = address;
        _node = node;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The seed address client nodes dial.</summary>
    public Address Address { get; }

    /// <summary>Completes, with the last completed round it resumed after (0 for a fresh run), once the server runs on this node; canceled if the node stops first.</summary>
    public Task<int> Active => _node.Active;

    /// <summary>Completes when the run completes or fails on this node (or the node stops first, as a failure).</summary>
    public Task<RunOutcome> Outcome => _node.Outcome;

    /// <summary>Tells every connected client node that the run is over (they then stop), within <paramref name="timeout"/>; nothing when the server does not run on this node.</summary>
    public async Task EndRunAsync(RunOutcome outcome, TimeSpan timeout)
    {
        if (_node.Gateway is not { } gateway)
        {
            return;
        }

        var last = outcome.History.LastOrDefault(r => r.Completed && r.TestAccuracy is not null);
        var detail = !outcome.Succeeded
            ? outcome.FailureReason ?? "no reason given"
            : string.Create(CultureInfo.InvariantCulture, $"{outcome.History.Count(r => r.Completed && r.Round.Value > 0)} rounds completed")
                + (last?.TestAccuracy is { } accuracy ? string.Create(CultureInfo.InvariantCulture, $", final test accuracy {accuracy:0.0000}") : string.Empty);
        await gateway.Ask<Done>(new EndRun(outcome.Succeeded, detail), timeout).ConfigureAwait(false);
    }

    /// <summary>Leaves: terminates the node's actor system (pending messages to the nodes are flushed first).</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        _audit?.Dispose();
    }
}
