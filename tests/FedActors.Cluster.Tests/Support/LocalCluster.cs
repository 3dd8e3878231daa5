using Akka.Configuration;
using FedActors.Cluster.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Server;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A server node and client nodes on 127.0.0.1, every port chosen free at run time, with the
/// pure-C# trainer of Core's tests; disposing terminates every actor system it started.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    // Fast failure detection so that a cut-off node is noticed in about a second.
    private const string Common = """
        fedactors.cluster.server.port = 0
        fedactors.cluster.client.port = 0
        fedactors.cluster.heartbeat-interval = 200ms
        fedactors.cluster.acceptable-heartbeat-pause = 800ms
        fedactors.cluster.client.hello-retry = 200ms
        fedactors.client.registration-retry = 500ms
        fedactors.cluster.chunk-size = 1KiB
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.cluster.gossip-interval = 100ms
        akka.cluster.leader-actions-interval = 100ms
        """;

    /// <summary>A two-round run in which both of two clients answer every round.</summary>
    public const string TwoClientRun = """
        fedactors.run.rounds = 2
        fedactors.server.min-available-clients = 2
        fedactors.server.fraction-fit = 1.0
        fedactors.server.min-fit-clients = 2
        """;

    private readonly List<ClientNodeHandle> _nodes = [];
    private readonly SemaphoreSlim _bulkSignal = new(0);
    private readonly string _overrides;

    private LocalCluster(ServerNodeHandle server, string overrides)
    {
        Server = server;
        _overrides = overrides;
        var events = BulkChannels;
        var signal = _bulkSignal;
        var watcher = server.System.ActorOf(Akka.Actor.Props.Create(() => new BulkChannelWatcher(events, signal)));
        server.System.EventStream.Subscribe(watcher, typeof(Transfers.NodeBulkChannel));
    }

    /// <summary>Every bulk connection the server saw open or end, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<Transfers.NodeBulkChannel> BulkChannels { get; } = new();

    /// <summary>Waits until the server has seen a bulk connection of each of <paramref name="nodes"/> open.</summary>
    public async Task WaitForBulkChannelsAsync(IEnumerable<Akka.Actor.Address> nodes, TimeSpan patience)
    {
        var wanted = nodes.ToHashSet();
        using var deadline = new CancellationTokenSource(patience);
        while (!wanted.IsSubsetOf(BulkChannels.Where(e => e.Open).Select(e => e.Node)))
        {
            await _bulkSignal.WaitAsync(deadline.Token);
        }
    }

    public ServerNodeHandle Server { get; }

    public IReadOnlyList<ClientNodeHandle> Nodes => _nodes;

    /// <summary>The run's and the cluster's settings, as every node of the test reads them.</summary>
    public static (RuntimeSettings Runtime, ClusterSettings Cluster) Settings(string overrides)
    {
        // The test's own settings come last, so that they win over the common ones.
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString(Common + "\n" + overrides), ClusterSettings.Defaults);
        return (RuntimeSettings.Read(config), ClusterSettings.Read(config));
    }

    /// <summary>A server node's Akka configuration and cluster settings, for an actor test of the server's actors.</summary>
    public static (Config Config, ClusterSettings Cluster) ServerNodeConfig()
    {
        var (runtime, cluster) = Settings(string.Empty);
        return (NodeConfig.Server(cluster, runtime.Config), cluster);
    }

    /// <summary>Ids client-0, client-1, ... client-(count - 1).</summary>
    public static ClientId[] Ids(int from, int count) => [.. Enumerable.Range(from, count).Select(i => new ClientId($"client-{i}"))];

    /// <summary>A client node's settings, dialling this server.</summary>
    public (RuntimeSettings Runtime, ClusterSettings Cluster) NodeSettings(string nodeOnly = "") =>
        Settings(_overrides + "\n" + nodeOnly + $"\nfedactors.cluster.client.seed = \"{Server.Address}\"");

    /// <summary>Starts a server whose run waits for <paramref name="clients"/> clients.</summary>
    /// <param name="clients">How many clients the run waits for before its first round.</param>
    /// <param name="overrides">The run's settings, for the server and every node.</param>
    /// <param name="serverOnly">Settings of the server node alone.</param>
    /// <param name="onRound">The server's callback after every record.</param>
    /// <param name="initial">The initial global model; the tests' two-tensor one when null.</param>
    public static async Task<LocalCluster> StartAsync(int clients, string overrides = "", string serverOnly = "", Action<Core.Metrics.RoundRecord>? onRound = null, Core.Tensors.Parameters? initial = null)
    {
        var (runtime, cluster) = Settings(overrides + "\n" + serverOnly);
        var setup = new SimulationSetup(Ids(0, clients), _ => throw new InvalidOperationException("the server trains nothing"), initial ?? TestParameters.Filled(0), new FedAvg(), new MeanDistanceEvaluator(1));
        return new LocalCluster(await ServerNode.StartAsync(runtime, cluster, setup, onRound), overrides);
    }

    /// <summary>Starts a client node hosting <paramref name="ids"/>, dialling the server.</summary>
    /// <param name="ids">The node's clients.</param>
    /// <param name="trainer">Their trainers; <see cref="Trainer"/> when null.</param>
    /// <param name="nodeOnly">Settings of this node alone.</param>
    /// <param name="layout">The model layout the node announces; the tests' own when null.</param>
    public ClientNodeHandle AddNode(IEnumerable<ClientId> ids, Func<ClientId, Core.Training.ITrainer>? trainer = null, string nodeOnly = "", Core.Tensors.ParameterLayout? layout = null)
    {
        var (runtime, cluster) = NodeSettings(nodeOnly);
        var node = ClientNode.Start(runtime, cluster, [.. ids], trainer ?? Trainer, layout ?? TestParameters.Layout);
        _nodes.Add(node);
        return node;
    }

    /// <summary>
    /// Starts a node hosting <paramref name="ids"/> whose trainers hold their first fit until the
    /// returned gate is set, and returns once one of them is training: the node is then welcomed
    /// and its clients hold a round open.
    /// </summary>
    public async Task<(ClientNodeHandle Node, TaskCompletionSource Gate)> AddTrainingNodeAsync(IEnumerable<ClientId> ids, TimeSpan patience, string nodeOnly = "")
    {
        var fitStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var node = AddNode(ids, trainer: id => new GatedTrainer(Trainer(id), fitStarted, gate.Task), nodeOnly: nodeOnly);
        await fitStarted.Task.WaitAsync(patience);
        return (node, gate);
    }

    /// <summary>Each client moves the model towards its own target, as in Core's simulation tests.</summary>
    public static Core.Training.ITrainer Trainer(ClientId id) => new ScriptedTrainer(TargetOf(id), sampleCount: 10);

    /// <summary>Trainers as <see cref="Trainer"/>, whose fit of <paramref name="round"/> reports itself through <paramref name="fitting"/> and then waits for <paramref name="release"/>.</summary>
    public static Func<ClientId, Core.Training.ITrainer> HeldInRound(int round, TaskCompletionSource fitting, ManualResetEventSlim release) => id => new ScriptedTrainer(
        TargetOf(id),
        sampleCount: 10,
        (task, ct) =>
        {
            if (task.Round.Value == round)
            {
                fitting.TrySetResult();
                release.Wait(ct);
            }

            return null;
        });

    private static int TargetOf(ClientId id) => 1 + (int.Parse(id.Value.AsSpan(id.Value.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture) % 3);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}

/// <summary>Notes the server's bulk-channel events for a test.</summary>
internal sealed class BulkChannelWatcher : Akka.Actor.ReceiveActor
{
    public BulkChannelWatcher(System.Collections.Concurrent.ConcurrentQueue<Transfers.NodeBulkChannel> events, SemaphoreSlim signal) =>
        Receive<Transfers.NodeBulkChannel>(e =>
        {
            events.Enqueue(e);
            signal.Release();
        });
}
