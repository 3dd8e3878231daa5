using System.Collections.Immutable;
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

    private readonly List<ClientNodeHandle> _nodes = [];
    private readonly string _overrides;

    private LocalCluster(ServerNodeHandle server, string overrides)
    {
        Server = server;
        _overrides = overrides;
    }

    public ServerNodeHandle Server { get; }

    public IReadOnlyList<ClientNodeHandle> Nodes => _nodes;

    /// <summary>The run's and the cluster's settings, as every node of the test reads them.</summary>
    public static (RuntimeSettings Runtime, ClusterSettings Cluster) Settings(string overrides)
    {
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString(overrides + "\n" + Common), ClusterSettings.Defaults);
        return (RuntimeSettings.Read(config), ClusterSettings.Read(config));
    }

    /// <summary>Ids client-0, client-1, ... client-(count - 1).</summary>
    public static ImmutableArray<ClientId> Ids(int from, int count) => [.. Enumerable.Range(from, count).Select(i => new ClientId($"client-{i}"))];

    /// <summary>Starts a server whose run waits for <paramref name="clients"/> clients.</summary>
    public static async Task<LocalCluster> StartAsync(int clients, string overrides = "")
    {
        var (runtime, cluster) = Settings(overrides);
        var setup = new SimulationSetup(Ids(0, clients), _ => throw new InvalidOperationException("the server trains nothing"), TestParameters.Filled(0), new FedAvg(), new MeanDistanceEvaluator(1));
        return new LocalCluster(await ServerNode.StartAsync(runtime, cluster, setup), overrides);
    }

    /// <summary>Starts a client node hosting <paramref name="ids"/>, dialling the server.</summary>
    public ClientNodeHandle AddNode(IEnumerable<ClientId> ids, string overrides = "")
    {
        var (runtime, cluster) = Settings(overrides + "\n" + _overrides + $"\nfedactors.cluster.client.seed = \"{Server.Address}\"");
        var node = ClientNode.Start(runtime, cluster, [.. ids], Trainer, TestParameters.Layout);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Each client moves the model towards its own target, as in Core's simulation tests.</summary>
    public static Core.Training.ITrainer Trainer(ClientId id) =>
        new ScriptedTrainer(target: 1 + (int.Parse(id.Value.AsSpan(id.Value.LastIndexOf('-') + 1), System.Globalization.CultureInfo.InvariantCulture) % 3), sampleCount: 10);

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await Server.DisposeAsync();
    }
}
