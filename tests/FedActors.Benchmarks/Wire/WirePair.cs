using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using FedActors.Cluster.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Server;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tensors;

namespace FedActors.Benchmarks.Wire;

/// <summary>
/// A server node and a client node on 127.0.0.1, each with FedActors' own cluster actors: the
/// server's <see cref="ClientGateway"/> (with its stand-ins and node outboxes) behind the
/// receptionist, and the node's <see cref="ServerLink"/>. Only the two ends are the benchmark's: a
/// coordinator that notes when a client's reply arrives, and one client that notes when a request
/// arrives and replies on demand. So a transfer goes through every production actor, serializer,
/// the inbound gate, ClusterClient and Akka.Remote.
/// </summary>
internal sealed class WirePair : IAsyncDisposable
{
    private static readonly ClientId Client = new("client-0");
    private readonly Ends _ends;

    private readonly IActorRef _link;
    private readonly IActorRef _pinger;
    private readonly int _chunkSize;

    private WirePair(ActorSystem server, ActorSystem node, IActorRef standIn, IActorRef client, Ends ends, IActorRef link, IActorRef pinger, int chunkSize)
    {
        _link = link;
        _pinger = pinger;
        _chunkSize = chunkSize;
        Server = server;
        Node = node;
        StandIn = standIn;
        ClientActor = client;
        _ends = ends;
    }

    public ActorSystem Server { get; }

    public ActorSystem Node { get; }

    /// <summary>The server's stand-in for the node's client: what the coordinator sends requests to.</summary>
    public IActorRef StandIn { get; }

    /// <summary>The client on the node.</summary>
    public IActorRef ClientActor { get; }

    /// <summary>How often the server counted the node unreachable.</summary>
    public int Unreachable => _ends.Unreachable;

    /// <param name="layout">The model's layout.</param>
    /// <param name="chunkSize">The chunk size of the chunked path.</param>
    /// <param name="extra">Settings of both nodes.</param>
    /// <param name="serverOnly">Settings of the server node alone (its TLS certificate).</param>
    /// <param name="nodeOnly">Settings of the client node alone (its TLS certificate).</param>
    public static async Task<WirePair> StartAsync(ParameterLayout layout, int chunkSize, string extra = "", string serverOnly = "", string nodeOnly = "")
    {
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $"""
            fedactors.cluster.server.port = 0
            fedactors.cluster.chunk-size = {chunkSize}
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            {extra}
            """)), ClusterSettings.Defaults);
        var nodeConfig = ConfigurationFactory.ParseString(nodeOnly).WithFallback(config);
        config = ConfigurationFactory.ParseString(serverOnly).WithFallback(config);
        var settings = ClusterSettings.Read(config);
        var server = ActorSystem.Create(settings.SystemName, NodeConfig.Setup(settings, NodeConfig.Server(settings, config), Trust(settings), checkServerName: false));
        var member = Akka.Cluster.Cluster.Get(server);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        member.RegisterOnMemberUp(() => up.TrySetResult());
        member.Join(member.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);

        var ends = new Ends();
        var coordinator = server.ActorOf(Props.Create(() => new BenchCoordinator(ends)), "coordinator");
        // The gateway where client nodes send (NodeConfig.GatewayPath): under the server singleton's
        // manager and its active server, which this benchmark does without.
        var made = new TaskCompletionSource<IActorRef>(TaskCreationOptions.RunContinuationsAsynchronously);
        string[] below = [NodeConfig.ActiveServerName, NodeConfig.GatewayName];
        server.ActorOf(Props.Create(() => new Nest(below, ClientGateway.Props(coordinator, layout, settings, Trust(settings)), made)), NodeConfig.ServerManagerName);
        var gateway = await made.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        ClusterClientReceptionist.Get(server).RegisterService(gateway);

        // With the bulk channel on, the pair is ready once the node's bulk connection is open.
        var bulkOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.EventStream.Subscribe(server.ActorOf(Props.Create(() => new BulkWatcher(bulkOpen))), typeof(Cluster.Transfers.NodeBulkChannel));
        var nodeSettings = ClusterSettings.Read(nodeConfig) with { Seed = member.SelfAddress.ToString() };
        var node = ActorSystem.Create(settings.SystemName, NodeConfig.Setup(nodeSettings, NodeConfig.Client(nodeSettings, member.SelfAddress, nodeConfig), Trust(nodeSettings), checkServerName: true));
        var outcome = new TaskCompletionSource<ClientNodeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = node.ActorOf(ServerLink.Props(nodeSettings, member.SelfAddress, [Client], layout, outcome), ClientNode.LinkName);
        var client = node.ActorOf(Props.Create(() => new BenchClient(link, ends)), "client");
        node.ActorOf(Props.Create(() => new Pinged(ends)), "pinged");
        var standIn = await ends.Registered.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        if (settings.BulkEnabled)
        {
            await bulkOpen.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }

        // The node's actors as the server sees them: over the connection the node opened.
        var nodeAddress = ((ExtendedActorSystem)node).Provider.DefaultAddress;
        var provider = ((ExtendedActorSystem)server).Provider;
        var remoteLink = provider.ResolveActorRef(new RootActorPath(nodeAddress) / "user" / ClientNode.LinkName);
        var pinger = provider.ResolveActorRef(new RootActorPath(nodeAddress) / "user" / "pinged");
        return new WirePair(server, node, standIn, client, ends, remoteLink, pinger, chunkSize);
    }

    /// <summary>
    /// Sends <paramref name="request"/> from the server to the node's client; the time until the client
    /// has it, and how long small messages sent every 10 ms meanwhile on the same connection took to
    /// arrive (what a heartbeat would wait behind the model).
    /// </summary>
    /// <param name="request">A request with a model.</param>
    /// <param name="window">Null for the gateway's own outbox (paced by <see cref="Cluster.Transfers.NodeOutbox.Window"/>); else an outbox of this window, to compare.</param>
    public async Task<(TimeSpan Elapsed, IReadOnlyList<TimeSpan> Pings)> DownloadAsync(FitRequest request, int? window = null)
    {
        var arrived = _ends.Expect();
        _ends.Pings.Clear();
        IActorRef? outbox = null;
        var started = Stopwatch.GetTimestamp();
        if (window is { } w)
        {
            outbox = Server.ActorOf(Cluster.Transfers.NodeOutbox.Props(_link, _chunkSize, new Cluster.Transfers.SharedModels(_chunkSize), TimeSpan.FromMinutes(1), w));
            outbox.Tell(new Cluster.Transfers.OutboundRequest(Client, request));
        }
        else
        {
            StandIn.Tell(request);
        }

        while (!arrived.IsCompleted)
        {
            _pinger.Tell(Stopwatch.GetTimestamp());
            await Task.WhenAny(arrived, Task.Delay(10)).ConfigureAwait(false);
        }

        var elapsed = Stopwatch.GetElapsedTime(started, await arrived.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false));

        // The last pings may still be behind the request's last chunk.
        await Task.Delay(200).ConfigureAwait(false);
        if (outbox is not null)
        {
            Server.Stop(outbox);
        }

        return (elapsed, [.. _ends.Pings]);
    }

    /// <summary>Sends <paramref name="reply"/> from the node's client to the server; the time until the coordinator has it.</summary>
    public async Task<TimeSpan> UploadAsync(FitResult reply)
    {
        var arrived = _ends.Expect();
        var started = Stopwatch.GetTimestamp();
        ClientActor.Tell(reply);
        return Stopwatch.GetElapsedTime(started, await arrived.WaitAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false));
    }

    // With TLS on, the federation's trust: nodes prove their ids, and the bulk channel runs in TLS, as on a server node.
    private static Cluster.Security.FederationTrust? Trust(ClusterSettings settings) =>
        settings.Tls.Enabled ? new Cluster.Security.FederationTrust(settings.Tls.Ca!, string.Empty, null) : null;

    public async ValueTask DisposeAsync()
    {
        await Node.Terminate().ConfigureAwait(false);
        await Server.Terminate().ConfigureAwait(false);
    }

    /// <summary>What the two ends share with the benchmark.</summary>
    private sealed class Ends
    {
        private TaskCompletionSource<long> _arrival = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _unreachable;

        public TaskCompletionSource<IActorRef> Registered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<TimeSpan> Pings { get; } = new();

        public int Unreachable => Volatile.Read(ref _unreachable);

        public Task<long> Expect()
        {
            _arrival = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _arrival.Task;
        }

        public void Arrived() => _arrival.TrySetResult(Stopwatch.GetTimestamp());

        public void Failed(string reason) => _arrival.TrySetException(new InvalidOperationException(reason));

        public void CountUnreachable() => Interlocked.Increment(ref _unreachable);
    }

    private sealed class BenchCoordinator : ReceiveActor
    {
        public BenchCoordinator(Ends ends)
        {
            Receive<RegisterClientOnNode>(_ => ends.Registered.TrySetResult(Sender));
            Receive<FitResult>(m =>
            {
                ends.Arrived();

                // As the coordinator does once it has aggregated an update: its buffer goes back to the pool.
                m.Updated.Release();
            });
            Receive<ClientFailed>(m => ends.Failed(m.Reason));
            Receive<NodeUnreachable>(_ => ends.CountUnreachable());
            ReceiveAny(_ => { });
        }
    }

    /// <summary>Notes how long each ping (its sender's timestamp; one process, one clock) took to arrive.</summary>
    // A chain of parents down to the leaf, so that the leaf has the path the names spell.
    private sealed class Nest : ReceiveActor
    {
        public Nest(string[] below, Props leaf, TaskCompletionSource<IActorRef> made)
        {
            if (below.Length == 1)
            {
                made.SetResult(Context.ActorOf(leaf, below[0]));
            }
            else
            {
                var rest = below.Skip(1).ToArray();
                Context.ActorOf(Props.Create(() => new Nest(rest, leaf, made)), below[0]);
            }
        }
    }

    private sealed class BulkWatcher : ReceiveActor
    {
        public BulkWatcher(TaskCompletionSource open) => Receive<Cluster.Transfers.NodeBulkChannel>(m =>
        {
            if (m.Open)
            {
                open.TrySetResult();
            }
        });
    }

    private sealed class Pinged : ReceiveActor
    {
        public Pinged(Ends ends) => Receive<long>(sent => ends.Pings.Enqueue(Stopwatch.GetElapsedTime(sent)));
    }

    private sealed class BenchClient : ReceiveActor
    {
        private readonly IActorRef _link;

        public BenchClient(IActorRef link, Ends ends)
        {
            _link = link;
            Receive<FitRequest>(_ => ends.Arrived());
            Receive<FitResult>(m => _link.Tell(m));
            ReceiveAny(_ => { });
        }

        protected override void PreStart() => _link.Tell(new RegisterClient(Client));
    }
}
