using System.Runtime.Serialization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using Akka.Remote;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Security;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Server;

/// <summary>
/// The server's client endpoint: the only actor registered with the receptionist, so the only
/// one a client node's ClusterClient can reach. It answers a node's hello (refusing another wire
/// version, another model layout, or client ids a connected node holds), starts a
/// <see cref="RemoteClient"/> stand-in for each of the node's clients, reassembles the chunks
/// the node sends and hands each message to its client's stand-in.
/// <para>
/// It also turns what the transport sees into Core's node messages: a node whose connection
/// closes (a killed process: at once) or whose heartbeats stop (a network cut: after
/// heartbeat-interval + acceptable-heartbeat-pause) is <see cref="NodeUnreachable"/>; a node whose
/// connection, heartbeats or messages come back is <see cref="NodeReachable"/>.
/// </para>
/// </summary>
internal sealed class ClientGateway : ReceiveActor, IWithTimers
{
    private const string ExpiryTimerKey = "transfer-expiry";

    // Links that said hello and never answered their challenge are forgotten beyond this many.
    private const int MaxChallenges = 4096;

    private readonly IActorRef _coordinator;
    private readonly ParameterLayout _layout;
    private readonly ClusterSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TransferAssembler _assembler = new();
    private readonly SharedModels _models;
    private readonly Dictionary<Address, ClientNode> _nodes = [];
    private readonly Dictionary<ClientId, Address> _owners = [];
    private readonly FederationTrust? _trust;
    private readonly AuditLog? _audit;

    // The nonce sent to each link that has said hello and not yet proved who it is, by link path.
    private readonly Dictionary<string, byte[]> _challenges = [];
    private readonly Dictionary<IActorRef, IActorRef> _outboxes = [];
    private int _generation;
    private bool _ended;
    private BulkListener? _bulk;

    public ClientGateway(IActorRef coordinator, ParameterLayout layout, ClusterSettings settings, FederationTrust? trust, AuditLog? audit)
    {
        _trust = trust;
        _audit = audit;
        _coordinator = coordinator;
        _layout = layout;
        _settings = settings;
        _models = new SharedModels(settings.ChunkSize);

        Receive<NodeHello>(OnHello);
        Receive<NodeLeaving>(OnLeaving);
        Receive<Chunk>(OnChunk);
        Receive<ChunksReceived>(m =>
        {
            // Only the node itself may open its window (the message names it by one of its clients).
            if (_owners.TryGetValue(m.Node, out var node) && SenderNode().Equals(node))
            {
                OutboxOf(node)?.Tell(m);
            }
        });
        Receive<RequestLost>(OnRequestLost);
        Receive<DisassociatedEvent>(m => Lost(m.RemoteAddress, "its connection closed"));
        Receive<AssociatedEvent>(m => Back(m.RemoteAddress, "it connected again"));
        Receive<ClusterClientUnreachable>(m => Lost(m.ClusterClient.Path.Address, "its heartbeats stopped"));
        Receive<ClusterClientUp>(m => Back(m.ClusterClient.Path.Address, "its heartbeats came back"));
        Receive<ClusterClients>(_ => { });
        Receive<RemotingLifecycleEvent>(_ => { });
        Receive<ExpireTransfers>(_ => Expire());
        Receive<BulkOpened>(OnBulkOpened);
        Receive<BulkArrived>(OnBulkArrived);
        Receive<BulkEnded>(OnBulkEnded);
        Receive<EndRun>(OnEndRun);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="coordinator">The run's coordinator.</param>
    /// <param name="layout">The server's model layout, which every node's must match.</param>
    /// <param name="settings">The cluster layer's settings.</param>
    /// <param name="trust">The federation's trust, when TLS is on: every node then proves its ids; null when off.</param>
    /// <param name="audit">Where joins and refusals are recorded; null for nowhere.</param>
    public static Props Props(IActorRef coordinator, ParameterLayout layout, ClusterSettings settings, FederationTrust? trust = null, AuditLog? audit = null) =>
        Akka.Actor.Props.Create(() => new ClientGateway(coordinator, layout, settings, trust, audit));

    /// <inheritdoc />
    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(RemotingLifecycleEvent));
        ClusterClientReceptionist.Get(Context.System).Underlying.Tell(SubscribeClusterClients.Instance);
        var every = TimeSpan.FromTicks(Math.Max(_settings.TransferTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));
        Timers.StartPeriodicTimer(ExpiryTimerKey, ExpireTransfers.Instance, every);
        if (_settings.BulkEnabled)
        {
            StartBulk();
        }

        if (_trust is null)
        {
            _log.Warning("TLS is off ('fedactors.cluster.tls.enabled'): connections are not encrypted, nodes are not authenticated and no node proves its client ids; any node that reaches this port may claim any free id");
        }
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        _bulk?.Dispose();
        foreach (var node in _nodes.Values)
        {
            node.Bulk?.Close("the server's gateway stopped");
        }
    }

    private void StartBulk()
    {
        var self = Self;
        try
        {
            _bulk = new BulkListener(_settings.ServerHost, _settings.BulkPort, _settings.Tls, _trust, BulkFrame.MaxPayload(_layout), _log, _audit, (admission, connection) => self.Tell(new BulkOpened(admission, connection)));
            _log.Info("Bulk channel: listening on {Host}:{Port}", _settings.ServerHost, _bulk.Port);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            _log.Error("Bulk channel: cannot listen on {Host}:{Port} ('fedactors.cluster.bulk-channel.port'): {Reason}. Client nodes send model bytes in chunks on the cluster connection instead, which is slower", _settings.ServerHost, _settings.BulkPort, e.Message);
        }
    }

    private NodeWelcome WelcomeOf(ClientNode node) =>
        _bulk is not null && node.BulkToken is { } token ? new NodeWelcome(_bulk.Port, token) : NodeWelcome.Instance;

    private void OnBulkOpened(BulkOpened opened)
    {
        var (admission, connection) = (opened.Admission, opened.Connection);
        if (!_nodes.TryGetValue(admission.Node, out var entry) || entry.BulkToken is null || !entry.BulkToken.AsSpan().SequenceEqual(admission.Token))
        {
            connection.Close($"node {admission.Node} was welcomed again or left since its token was given");
            return;
        }

        entry.Bulk?.Close("the node opened another bulk connection");
        entry.Bulk = connection;
        var self = Self;
        var system = Context.System;
        var node = admission.Node;
        connection.Start(frame => self.Tell(Arrival(system, node, frame)), loss => self.Tell(new BulkEnded(node, connection, loss)));
        OutboxOf(node)?.Tell(new UseBulk(connection));
        _log.Info("Node {Node} opened its bulk connection from {Peer}", node, connection.Peer);
        Context.System.EventStream.Publish(new NodeBulkChannel(node, Open: true, $"from {connection.Peer}"));
    }

    // On the connection's reader thread: the message is read there, and the gateway only checks who sent it.
    private static BulkArrived Arrival(ActorSystem system, Address node, BulkFrame frame)
    {
        if (frame.Kind != BulkKind.Message)
        {
            return new BulkArrived(node, null, null, $"node {node} sent {frame.Describe()}, where a node sends only its clients' messages");
        }

        try
        {
            var (client, message, failure) = frame.ReadMessage((ProtocolSerializer)system.Serialization.FindSerializerForType(typeof(IFedActorsMessage)));
            return new BulkArrived(node, client, message, failure);
        }
        catch (InvalidDataException e)
        {
            return new BulkArrived(node, null, null, $"{frame.Describe()} from node {node} is unreadable: {e.Message}");
        }
    }

    private void OnBulkArrived(BulkArrived arrived)
    {
        if (arrived.Client is not { } id || !_owners.TryGetValue(id, out var owner) || !_nodes[owner].Clients.TryGetValue(id, out var client))
        {
            _log.Warning("Bulk channel: ignoring {What}", arrived.Failure ?? $"a message in the name of client {arrived.Client}, which no welcomed node hosts");
            return;
        }

        if (!owner.Equals(arrived.Node))
        {
            // The connection is the node's own (its token, and its certificate with TLS on): it speaks for its clients only.
            _log.Warning("Ignoring a bulk message in the name of client {Client} from node {From}: node {Owner} hosts it", id, arrived.Node, owner);
            return;
        }

        Back(owner, "it sent a message");
        if (arrived.Message is { } message)
        {
            client.Tell(new Delivered(message));
        }
        else
        {
            Broken(client, owner, id, Guid.Empty, arrived.Failure ?? "unreadable");
        }
    }

    private void OnBulkEnded(BulkEnded ended)
    {
        if (!_nodes.TryGetValue(ended.Node, out var entry) || !ReferenceEquals(entry.Bulk, ended.Connection))
        {
            return;
        }

        entry.Bulk = null;
        if (!_ended)
        {
            _log.Warning("Node {Node}'s bulk connection ended ({Reason}): its messages go in chunks on the cluster connection until it dials again", ended.Node, ended.Loss.Reason);
        }

        OutboxOf(ended.Node)?.Tell(new BulkLost(ended.Connection, ended.Loss.Unsent));
        Context.System.EventStream.Publish(new NodeBulkChannel(ended.Node, Open: false, ended.Loss.Reason));
        if (ended.Loss.Cut is { Kind: BulkKind.Message } cut)
        {
            try
            {
                var id = cut.MessageHeader().Client;
                if (entry.Clients.TryGetValue(id, out var client))
                {
                    Broken(client, ended.Node, id, Guid.Empty, $"its message was cut off when the bulk connection ended: {ended.Loss.Reason}");
                }
            }
            catch (InvalidDataException)
            {
                // A header that does not read names no client of the node's.
            }
        }
    }

    private void OnHello(NodeHello hello)
    {
        var node = hello.Link.Path.Address;
        if (hello.WireVersion != ProtocolSerializer.WireVersion)
        {
            Refuse(hello, $"node {node} speaks FedActors wire version {hello.WireVersion}, but the server at {Self.Path.Address} speaks version {ProtocolSerializer.WireVersion}: run the same FedActors version on every node");
            return;
        }

        var mismatch = hello.Layout is null ? "it sent none" : _layout.DescribeMismatch(hello.Layout);
        if (mismatch is not null)
        {
            Refuse(hello, $"node {node}'s model does not fit the server's ({_layout}): {mismatch}; configure the same fedactors.simulation.model on every node");
            return;
        }

        if (_nodes.TryGetValue(node, out var known) && known.Link.Equals(hello.Link))
        {
            // A repeated hello (a node says hello every hello-retry): it is here, and welcome.
            Back(node, "it said hello");
            hello.Link.Tell(WelcomeOf(known));
            return;
        }

        // The link is an actor ref the node wrote into its own message. It must be on the node
        // the hello came from (SenderNode), so that a node cannot speak in another's name. With
        // identity proofs on, the nonce also goes to the link, so only whoever receives the link's
        // messages can answer, and the signature covers the link's path, so a proof cannot be
        // moved to another link.
        if (SenderNode() is var from && !from.Equals(node))
        {
            Refuse(hello, $"a hello from node {from} names a link on another node, {node}: a node speaks for itself only");
            return;
        }

        X509Certificate2? certificate = null;
        if (_trust is not null)
        {
            var key = hello.Link.Path.ToStringWithAddress();
            if (!_challenges.TryGetValue(key, out var nonce) || hello.Proof is null || !hello.Proof.Nonce.Span.SequenceEqual(nonce))
            {
                // A first hello, a retry sent before the challenge arrived, or a proof for an earlier
                // server: the same nonce while one is outstanding, so that retries cannot outrun it.
                if (nonce is null)
                {
                    if (_challenges.Count >= MaxChallenges)
                    {
                        _challenges.Clear();
                    }

                    nonce = NodeIdentity.NewNonce();
                    _challenges[key] = nonce;
                }

                hello.Link.Tell(new NodeChallenge(nonce));
                return;
            }

            _challenges.Remove(key);
            var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress;
            if (NodeIdentity.Refusal(hello, nonce, self, _trust, out certificate) is { } refusal)
            {
                Refuse(hello, $"node {node} did not prove its identity: {refusal}", certificate);
                return;
            }
        }

        var thumbprint = certificate?.GetCertHashString(HashAlgorithmName.SHA256);
        var taken = hello.Clients
            .Where(id => _owners.TryGetValue(id, out var owner) && !owner.Equals(node) && !_nodes[owner].Lost
                // The same certificate at a new address is the same node, restarted before its old connection was seen to close.
                && (thumbprint is null || _nodes[owner].Thumbprint != thumbprint))
            .Select(id => $"{id} (held by {_owners[id]})")
            .ToList();
        if (taken.Count > 0)
        {
            Refuse(hello, $"node {node} hosts client ids that a connected node already holds: {string.Join(", ", taken)}; give each node its own ids (--client-ids or --first-client-id)", certificate);
            return;
        }

        // The same address with a new link is a restarted node; ids held by a lost node move to this one.
        if (known is not null)
        {
            Retire(known);
        }

        foreach (var id in hello.Clients)
        {
            if (_owners.TryGetValue(id, out var owner) && _nodes.TryGetValue(owner, out var previous))
            {
                Context.Stop(previous.Clients[id]);
                previous.Clients.Remove(id);
            }
        }

        var generation = ++_generation;
        var entry = new ClientNode(hello.Link, thumbprint);
        foreach (var id in hello.Clients)
        {
            var name = $"{Uri.EscapeDataString(id.Value)}-{generation}";
            entry.Clients[id] = Context.ActorOf(RemoteClient.Props(id, node, OutboxFor(hello.Link), _coordinator), name);
            _owners[id] = node;
        }

        _nodes[node] = entry;
        entry.BulkToken = _bulk?.Admit(node, thumbprint);

        // The coordinator may still count the address unreachable from an earlier life of the node.
        _coordinator.Tell(new NodeReachable(node));
        hello.Link.Tell(WelcomeOf(entry));
        _log.Info("Node {Node} joined with {Count} clients ({Clients}){Identity}", node, hello.Clients.Length, string.Join(", ", hello.Clients), certificate is null ? string.Empty : $", proved by {certificate.Subject}");
        _audit?.Write("join", node.ToString(), certificate, hello.Clients, accepted: true, certificate is null ? "welcomed (identity proofs off)" : "welcomed: identity proved");
    }

    // A node stopped by its operator: its clients' stand-ins stop, so the coordinator drops them
    // from the round in progress at once and no longer counts them.
    private void OnLeaving(NodeLeaving leaving)
    {
        var node = leaving.Link.Path.Address;
        if (_nodes.TryGetValue(node, out var entry) && entry.Link.Equals(leaving.Link))
        {
            _log.Warning("Node {Node} left: its clients {Clients} leave the run", node, string.Join(", ", entry.Clients.Keys));
            Retire(entry);
            _nodes.Remove(node);
            _bulk?.Revoke(node);
        }

        leaving.Link.Tell(NodeLeft.Instance);
    }

    private void Refuse(NodeHello hello, string reason, X509Certificate2? certificate = null)
    {
        _log.Error("Refusing node {Node}: {Reason}", hello.Link.Path.Address, reason);
        _audit?.Write(reason.Contains("is revoked", StringComparison.Ordinal) ? "revoked" : "refused", hello.Link.Path.Address.ToString(), certificate, hello.Clients, accepted: false, reason);
        hello.Link.Tell(new NodeRefused(reason));
    }

    /// <summary>
    /// The node the current message came from. A client node's messages reach the gateway through
    /// the receptionist's response tunnel for its ClusterClient, a child of the receptionist named
    /// after that ClusterClient's full path (Akka.Cluster.Tools 1.5.73, ClusterReceptionist:
    /// <c>Uri.EscapeDataString(client.Path.ToSerializationFormat())</c>); any other sender (a local
    /// actor, in tests) is its own node. The ClusterClient's address is the one Akka.Remote
    /// resolved the sender to on that connection.
    /// </summary>
    private Address SenderNode()
    {
        var path = Sender.Path;
        return path.Parent.ToStringWithoutAddress() == NodeConfig.ReceptionistPath
            && ActorPath.TryParse(Uri.UnescapeDataString(path.Name), out var clusterClient)
            ? clusterClient.Address
            : path.Address;
    }

    private void Retire(ClientNode node)
    {
        foreach (var (id, standIn) in node.Clients)
        {
            Context.Stop(standIn);
            _owners.Remove(id);
        }

        node.Clients.Clear();
        node.Bulk?.Close("the node left or was replaced");
        node.Bulk = null;
        if (_outboxes.Remove(node.Link, out var outbox))
        {
            Context.Stop(outbox);
        }
    }

    // One outbox per node link, shared by its clients' stand-ins: what sends each model to the node once.
    private IActorRef OutboxFor(IActorRef link)
    {
        if (!_outboxes.TryGetValue(link, out var outbox))
        {
            outbox = Context.ActorOf(NodeOutbox.Props(link, _settings.ChunkSize, _models, _settings.AcceptableHeartbeatPause), $"outbox-{_generation}");
            _outboxes[link] = outbox;
        }

        return outbox;
    }

    private IActorRef? OutboxOf(Address node) =>
        _nodes.TryGetValue(node, out var entry) && _outboxes.TryGetValue(entry.Link, out var outbox) ? outbox : null;

    private void OnRequestLost(RequestLost lost)
    {
        if (!_owners.TryGetValue(lost.Client, out var node) || !_nodes[node].Clients.TryGetValue(lost.Client, out var client))
        {
            _log.Warning("Ignoring a lost request reported for client {Client}, which no welcomed node hosts", lost.Client);
            return;
        }

        if (SenderNode() is var from && !from.Equals(node))
        {
            // Else any node could drop another node's client from the round.
            _log.Warning("Ignoring a lost request reported for client {Client} by node {From}: node {Owner} hosts it", lost.Client, from, node);
            return;
        }

        _log.Error("Client {Client} on node {Node}: its request is lost and its update dropped this round: {Reason}", lost.Client, node, lost.Reason);
        OutboxOf(node)?.Tell(new ForgetModel(lost.Model));
        client.Tell(new RequestFailed(lost.Reason));
    }

    private void OnChunk(Chunk chunk)
    {
        if (!_owners.TryGetValue(chunk.Client, out var owner) || !_nodes[owner].Clients.TryGetValue(chunk.Client, out var client))
        {
            _log.Warning("Ignoring a chunk in the name of client {Client}, which no welcomed node hosts", chunk.Client);
            return;
        }

        if (SenderNode() is var from && !from.Equals(owner))
        {
            // A node may only speak for the clients it was welcomed with (and proved, with TLS on).
            _log.Warning("Ignoring a chunk in the name of client {Client} from node {From}: node {Owner} hosts it", chunk.Client, from, owner);
            return;
        }

        Back(owner, "it sent a message");
        Acknowledge(_nodes[owner], chunk.Client);
        switch (_assembler.Add(chunk, DateTime.UtcNow))
        {
            case TransferCompleted done:
                try
                {
                    client.Tell(new Delivered(Chunking.Read(Context.System, done.Manifest, done.Bytes)));
                }
                catch (SerializationException e)
                {
                    Broken(client, owner, chunk.Client, chunk.Transfer, e.Message);
                }

                break;
            case TransferBroken broken:
                Broken(client, owner, broken.Client, broken.Transfer, broken.Reason);
                break;
        }
    }

    // The node's link keeps a bounded number of chunks in flight (as the server's NodeOutbox does):
    // a quarter of that window at a time keeps it open.
    private static void Acknowledge(ClientNode node, ClientId client)
    {
        if (++node.Unacknowledged >= NodeOutbox.Window / 4)
        {
            node.Link.Tell(new ChunksReceived(client, node.Unacknowledged));
            node.Unacknowledged = 0;
        }
    }

    private void Broken(IActorRef client, Address node, ClientId id, Guid transfer, string reason)
    {
        _log.Error("Client {Client} on node {Node}: transfer {Transfer} is broken and dropped: {Reason}", id, node, transfer, reason);
        client.Tell(new TransferFailed(reason));
    }

    private void Expire()
    {
        foreach (var broken in _assembler.Expire(DateTime.UtcNow, _settings.TransferTimeout))
        {
            if (_owners.TryGetValue(broken.Client, out var owner) && _nodes[owner].Clients.TryGetValue(broken.Client, out var client))
            {
                Broken(client, owner, broken.Client, broken.Transfer, broken.Reason);
            }
        }
    }

    private void Lost(Address node, string why)
    {
        if (_nodes.TryGetValue(node, out var entry) && !entry.Lost)
        {
            entry.Lost = true;
            OutboxOf(node)?.Tell(NodeConnectionChanged.Instance);
            if (_ended)
            {
                // Nodes leave once told the run is over: expected, not worth a warning.
                _log.Info("Node {Node} left after the run ({Why})", node, why);
                return;
            }

            _log.Warning("Node {Node} is unreachable ({Why}): its clients {Clients} leave the round in progress", node, why, string.Join(", ", entry.Clients.Keys));
            _coordinator.Tell(new NodeUnreachable(node));
        }
    }

    private void Back(Address node, string why)
    {
        if (_nodes.TryGetValue(node, out var entry) && entry.Lost)
        {
            entry.Lost = false;
            OutboxOf(node)?.Tell(NodeConnectionChanged.Instance);
            _log.Info("Node {Node} is reachable again ({Why}): its clients may be sampled from the next round", node, why);
            _coordinator.Tell(new NodeReachable(node));
        }
    }

    private void OnEndRun(EndRun end)
    {
        _ended = true;
        foreach (var node in _nodes.Values.Where(n => !n.Lost))
        {
            node.Link.Tell(end.Interrupted ? new RunInterrupted(end.Detail) : new RunEnded(end.Succeeded, end.Detail));
        }

        Sender.Tell(Done.Instance);
    }

    private sealed class ClientNode(IActorRef link, string? thumbprint)
    {
        public IActorRef Link { get; } = link;

        /// <summary>The SHA-256 thumbprint of the certificate the node proved its ids with; null with proofs off.</summary>
        public string? Thumbprint { get; } = thumbprint;

        public Dictionary<ClientId, IActorRef> Clients { get; } = [];

        public bool Lost { get; set; }

        public int Unacknowledged { get; set; }

        /// <summary>The token of its bulk connection; null without a bulk channel.</summary>
        public byte[]? BulkToken { get; set; }

        /// <summary>Its open bulk connection, if any.</summary>
        public BulkConnection? Bulk { get; set; }
    }

    private sealed record BulkOpened(BulkAdmission Admission, BulkConnection Connection) : INoSerializationVerificationNeeded;

    /// <summary>A node's message off its bulk connection, read (<paramref name="Message"/>) or not (<paramref name="Failure"/>).</summary>
    private sealed record BulkArrived(Address Node, ClientId? Client, IFedActorsMessage? Message, string? Failure) : INoSerializationVerificationNeeded;

    private sealed record BulkEnded(Address Node, BulkConnection Connection, BulkLoss Loss) : INoSerializationVerificationNeeded;

    private sealed record ExpireTransfers : INoSerializationVerificationNeeded
    {
        public static readonly ExpireTransfers Instance = new();
    }
}

/// <summary>The run is over, or stopped to be resumed (<paramref name="Interrupted"/>): tell every connected node, then answer <see cref="Done"/>.</summary>
internal sealed record EndRun(bool Succeeded, string Detail, bool Interrupted = false) : INoSerializationVerificationNeeded;
