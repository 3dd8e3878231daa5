using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.Serialization;
using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Security;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Client;

/// <summary>
/// A client node's one way to the server, and what its <c>FederatedClient</c>s take for their
/// coordinator. Outbound, everything goes through a ClusterClient to the server's receptionist and
/// on to its gateway: the node only ever dials the seed address. It says hello (its wire version,
/// its clients, its model's layout) until the server welcomes or refuses it, and every
/// hello-retry after that, so that a restarted server learns of it and its clients register again
/// (Core's <see cref="UseCoordinator"/>); it relays its clients' registrations and replies as chunks. Inbound, the server's chunks arrive over the
/// connection the node opened; they are reassembled and handed to their client, with this actor as
/// the sender, so that the client's reply comes back here too.
/// </summary>
internal sealed class ServerLink : ReceiveActor, IWithTimers
{
    private const string HelloTimerKey = "hello";
    private const string ConnectTimerKey = "connect-timeout";
    private const string ExpiryTimerKey = "transfer-expiry";
    private const string ServerLostTimerKey = "server-lost";
    private const string WindowTimerKey = "window-check";

    private readonly ClusterSettings _settings;
    private readonly Address _seed;
    private readonly ImmutableArray<ClientId> _clients;
    private readonly ParameterLayout _layout;
    private readonly TaskCompletionSource<ClientNodeOutcome> _outcome;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TransferAssembler _assembler = new();
    private readonly ModelCache _models = new();
    private readonly Dictionary<ClientId, IActorRef> _local = [];
    private IActorRef _clusterClient = ActorRefs.Nobody;
    private IActorRef _gateway = ActorRefs.Nobody;
    private NodeProof? _proof;
    private int _unacknowledged;
    private readonly Queue<Chunk> _outgoing = new();
    private long _chunksSent;
    private long _chunksAcknowledged;
    private DateTime? _windowFullSince;
    private BulkConnection? _bulk;
    private byte[]? _bulkToken;
    private DateTime _bulkFailedAt = DateTime.MinValue;

    public ServerLink(ClusterSettings settings, Address seed, ImmutableArray<ClientId> clients, ParameterLayout layout, TaskCompletionSource<ClientNodeOutcome> outcome)
    {
        _settings = settings;
        _seed = seed;
        _clients = clients;
        _layout = layout;
        _outcome = outcome;
        Connecting();
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ClusterSettings settings, Address seed, ImmutableArray<ClientId> clients, ParameterLayout layout, TaskCompletionSource<ClientNodeOutcome> outcome) =>
        Akka.Actor.Props.Create(() => new ServerLink(settings, seed, clients, layout, outcome));

    /// <inheritdoc />
    protected override void PostStop() => _bulk?.Close("this node's link stopped");

    /// <inheritdoc />
    protected override void PreStart()
    {
        _clusterClient = Context.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(Context.System)), "cluster-client");
        Timers.StartPeriodicTimer(HelloTimerKey, SendHello.Instance, TimeSpan.Zero, _settings.HelloRetry);
        Timers.StartSingleTimer(ConnectTimerKey, ConnectTimeout.Instance, _settings.ConnectTimeout);
        var every = TimeSpan.FromTicks(Math.Max(_settings.TransferTimeout.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));
        Timers.StartPeriodicTimer(ExpiryTimerKey, ExpireTransfers.Instance, every);
        Timers.StartPeriodicTimer(WindowTimerKey, CheckWindow.Instance, _settings.HeartbeatInterval);
    }

    private void Connecting()
    {
        Receive<SendHello>(_ => SayHello());
        Receive<NodeWelcome>(m =>
        {
            _gateway = Sender;
            DialBulk(m);
            Timers.Cancel(ConnectTimerKey);
            _log.Info("Welcomed by the server at {Seed}: {Count} clients registering", _seed, _clients.Length);
            Become(Welcomed);
            HeardFromServer();

            // Registrations that came before the welcome go at once, rather than at the clients' next retry.
            foreach (var id in _local.Keys)
            {
                Send(id, new RegisterClient(id));
            }
        });
        Receive<ConnectTimeout>(_ => End(new ClientNodeOutcome(false,
            $"the server at {_seed} did not answer within {_settings.ConnectTimeout} ('fedactors.cluster.client.connect-timeout'): is it running, is the seed address right, and is its port open to this machine?"
            + (_settings.Tls.Enabled ? " With TLS on, the TLS handshake with the server may also have failed: the server may have refused this node's certificate (another CA, revoked or expired), and its log and audit log say which." : string.Empty))));

        // Clients register from their start; they are remembered, and relayed once welcomed.
        Receive<RegisterClient>(m => _local[m.Client] = Sender);

        // Not welcomed yet: the server has nothing of this node's to let go.
        Receive<Leave>(m =>
        {
            Sender.Tell(Done.Instance);
            End(new ClientNodeOutcome(false, $"stopped by {m.Signal} before the server at {_seed} welcomed this node") { Stopped = true });
        });
        Common();
    }

    private void Welcomed()
    {
        // The hello goes on, so that a server that restarted (a new gateway at the same address)
        // learns of this node; its welcome sends the clients to register with it.
        Receive<SendHello>(_ => SayHello());
        Receive<NodeWelcome>(m =>
        {
            HeardFromServer();
            DialBulk(m);
            if (!Sender.Equals(_gateway))
            {
                _log.Info("The server at {Seed} restarted: its clients register with it again", _seed);
                _gateway = Sender;
                foreach (var client in _local.Values)
                {
                    client.Tell(new UseCoordinator(Self));
                }
            }
        });
        Receive<ConnectTimeout>(_ => { });
        Receive<ServerLost>(_ => End(new ClientNodeOutcome(false, string.Create(
            CultureInfo.InvariantCulture,
            $"the server at {_seed} has not answered for {_settings.ServerLostTimeout} ('fedactors.cluster.client.server-lost-timeout'): it stopped, or this machine lost its way to it"))));
        Receive<Chunk>(m =>
        {
            HeardFromServer();
            OnChunk(m);
        });
        Receive<RegisterClient>(m =>
        {
            _local[m.Client] = Sender;
            Send(m.Client, m);
        });
        Receive<IPhaseReply>(m => Send(m.Client, m));
        Receive<RunEnded>(m => End(new ClientNodeOutcome(m.Succeeded, m.Succeeded ? $"the server's run is over: {m.Detail}" : $"the server's run failed: {m.Detail}")));
        Receive<RunInterrupted>(m => End(new ClientNodeOutcome(false, $"the server stopped the run: {m.Detail}") { Stopped = true }));
        Receive<Leave>(m =>
        {
            // The server drops this node's clients when it reads this, rather than when the connection closes.
            ToServer(new NodeLeaving(Self));
            var asker = Sender;
            Become(() =>
            {
                Receive<NodeLeft>(_ =>
                {
                    asker.Tell(Done.Instance);
                    End(new ClientNodeOutcome(false, $"stopped by {m.Signal}: this node left the run, and the server at {_seed} let its clients go") { Stopped = true });
                });
                Receive<Leave>(_ => { });
                Receive<object>(_ => { });
            });
        });
        Common();
    }

    private void Common()
    {
        Receive<Chunk>(OnChunk);
        Receive<NodeChallenge>(OnChallenge);
        Receive<ModelChunk>(m =>
        {
            Acknowledge();
            Deliver(_models.Add(m, DateTime.UtcNow));
        });
        Receive<SharedRequest>(m =>
        {
            Acknowledge();
            Deliver(_models.Request(m));
        });
        Receive<NodeRefused>(m => End(new ClientNodeOutcome(false, $"the server at {_seed} refused this node: {m.Reason}")));
        Receive<ExpireTransfers>(_ =>
        {
            foreach (var broken in _assembler.Expire(DateTime.UtcNow, _settings.TransferTimeout))
            {
                _log.Error("A message from the server for client {Client} is lost: transfer {Transfer} {Reason}", broken.Client, broken.Transfer, broken.Reason);
            }

            Deliver(_models.Expire(DateTime.UtcNow, _settings.TransferTimeout));
        });
        Receive<CheckWindow>(_ => ReopenStalledWindow());
        Receive<ChunksReceived>(m => OnChunksAcknowledged(m.Count));
        Receive<BulkDialed>(OnBulkDialed);
        Receive<BulkDialFailed>(m =>
        {
            _bulkFailedAt = DateTime.UtcNow;
            _log.Warning("The server's bulk channel could not be opened: {Reason}. This node's messages go in chunks on the cluster connection instead, which works, slower; the node tries again at a welcome a minute from now. Open the server's bulk port to this machine ('fedactors.cluster.bulk-channel.port' on the server), or turn the channel off ('fedactors.cluster.bulk-channel.enabled')", m.Reason);
        });
        Receive<FromBulk>(OnFromBulk);
        Receive<BulkEnded>(m =>
        {
            if (!ReferenceEquals(_bulk, m.Connection))
            {
                return;
            }

            // The server keeps this node's token: the next welcome dials again.
            _bulk = null;
            _bulkToken = null;
            _log.Warning("The bulk connection to the server ended ({Reason}): messages go in chunks on the cluster connection until it is open again", m.Loss.Reason);
            foreach (var unsent in m.Loss.Unsent.Select(f => f.Origin).OfType<Outgoing>())
            {
                Send(unsent.Client, unsent.Message);
            }
        });
    }

    // A welcome that names a bulk port and a token this node has not dialled yet (the first, or a restarted server's).
    private void DialBulk(NodeWelcome welcome)
    {
        if (!_settings.BulkEnabled || welcome.BulkPort == 0 || Sender.Path.Address.Host is not { } host
            || (_bulkToken is not null && welcome.BulkToken.Span.SequenceEqual(_bulkToken))
            || DateTime.UtcNow - _bulkFailedAt < TimeSpan.FromMinutes(1))
        {
            return;
        }

        _bulk?.Close("the server was welcomed again with a new token");
        _bulk = null;
        var token = welcome.BulkToken.ToArray();
        _bulkToken = token;
        var port = welcome.BulkPort;
        BulkConnection.DialAsync(host, port, token, _settings.Tls, BulkFrame.MaxPayload(_layout), _settings.ConnectTimeout).PipeTo(
            Self,
            success: c => new BulkDialed(c, token),
            failure: e => new BulkDialFailed($"{host}:{port}: {e.Message}"));
    }

    private void OnBulkDialed(BulkDialed dialed)
    {
        if (_bulkToken is null || !dialed.Token.AsSpan().SequenceEqual(_bulkToken) || _outcome.Task.IsCompleted)
        {
            dialed.Connection.Close("superseded before it opened");
            return;
        }

        _bulk = dialed.Connection;
        var self = Self;
        var system = Context.System;
        var connection = dialed.Connection;
        connection.Start(frame => self.Tell(Inbound(system, frame)), loss => self.Tell(new BulkEnded(connection, loss)));
        _log.Info("Bulk connection to the server open ({Peer}): models and updates go on it whole", connection.Peer);
    }

    // On the connection's reader thread: what a frame from the server is, read.
    private static FromBulk Inbound(ActorSystem system, BulkFrame frame)
    {
        try
        {
            if (frame.Damage is { } damage)
            {
                return new FromBulk(null, $"{frame.Describe()} from the server is corrupted: {damage}");
            }

            switch (frame.Kind)
            {
                // The payload's buffer goes back when this returns: the model is copied, since the node keeps it.
                case BulkKind.Model:
                    return new FromBulk(new WholeModel(frame.ModelId(), frame.Payload.ToArray()), null);
                case BulkKind.NodeMessage:
                    var serializer = (Akka.Serialization.SerializerWithStringManifest)system.Serialization.FindSerializerForType(typeof(INodeMessage));
                    return new FromBulk(serializer.FromBinary(frame.Payload.ToArray(), frame.NodeManifest()), null);
                default:
                    var (client, message, failure) = frame.ReadMessage((ProtocolSerializer)system.Serialization.FindSerializerForType(typeof(IFedActorsMessage)));
                    return message is null ? new FromBulk(null, $"{failure} (for client {client})") : new FromBulk(new Outgoing(client, message), null);
            }
        }
        catch (Exception e) when (e is InvalidDataException or SerializationException)
        {
            return new FromBulk(null, $"{frame.Describe()} from the server is unreadable: {e.Message}");
        }
    }

    private void OnFromBulk(FromBulk arrived)
    {
        HeardFromServer();
        switch (arrived.Message)
        {
            case WholeModel model:
                Deliver(_models.AddWhole(model.Id, model.Bytes));
                break;
            case SharedRequest request:
                Deliver(_models.Request(request));
                break;
            case Outgoing { Client: var id, Message: var message } when _local.TryGetValue(id, out var client):
                client.Tell(message);
                break;
            case Outgoing m:
                _log.Warning("The server sent a message for client {Client}, which this node does not host", m.Client);
                break;
            default:
                _log.Error("A message from the server is lost: {Reason}", arrived.Failure ?? $"{arrived.Message?.GetType().Name} is not expected on the bulk connection");
                break;
        }
    }

    // The server answers every hello; a silence longer than server-lost-timeout means it is gone
    // (a killed server restarted with --resume within it gets this node back).
    private void HeardFromServer() => Timers.StartSingleTimer(ServerLostTimerKey, ServerLost.Instance, _settings.ServerLostTimeout);

    private void SayHello() => ToServer(new NodeHello(ProtocolSerializer.WireVersion, Self, _clients, _layout, _proof));

    /// <summary>The server asks who this node is: sign its nonce with the certificate's key, and say hello again at once.</summary>
    private void OnChallenge(NodeChallenge challenge)
    {
        if (_settings.Tls.Certificate is not { } certificate)
        {
            End(new ClientNodeOutcome(false, $"the server at {_seed} asks this node to prove its client ids, but this node has no certificate: set 'fedactors.cluster.tls.enabled' and its certificate (`fedactors certs client`)"));
            return;
        }

        var linkPath = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        _proof = NodeIdentity.Prove(certificate, challenge.Nonce, _seed, linkPath, _clients);
        SayHello();
    }

    // Paced as the server's sending is (NodeOutbox): at most a window of chunks unacknowledged by
    // the gateway, so that a large update never queues far ahead of this node's other messages.
    private void Send(ClientId client, IFedActorsMessage message)
    {
        // On the bulk connection whole, unless chunks are still queued: a client's messages never overtake each other.
        if (_bulk is { } bulk && _outgoing.Count == 0)
        {
            if (bulk.TrySendMessage((ProtocolSerializer)Context.System.Serialization.FindSerializerFor(message), client, message, new Outgoing(client, message)))
            {
                return;
            }
        }

        foreach (var chunk in Chunking.Split(Context.System, client, message, _settings.ChunkSize))
        {
            _outgoing.Enqueue(chunk);
        }

        SendChunks();
    }

    private void SendChunks()
    {
        while (_outgoing.Count > 0 && _chunksSent - _chunksAcknowledged < NodeOutbox.Window)
        {
            ToServer(_outgoing.Dequeue());
            _chunksSent++;
        }

        _windowFullSince ??= _outgoing.Count > 0 ? DateTime.UtcNow : null;
    }

    private void OnChunksAcknowledged(int count)
    {
        _chunksAcknowledged = Math.Min(_chunksAcknowledged + Math.Max(count, 0), _chunksSent);
        _windowFullSince = null;
        SendChunks();
    }

    // Acknowledgements lost with a connection, or with a server that restarted: what was in flight
    // is delivered or lost by now, and the window opens again.
    private void ReopenStalledWindow()
    {
        if (_windowFullSince is { } since && DateTime.UtcNow - since > _settings.AcceptableHeartbeatPause)
        {
            _log.Warning("The server acknowledged none of this node's last {Count} chunks within {Pause}: sending the rest", _chunksSent - _chunksAcknowledged, _settings.AcceptableHeartbeatPause);
            _chunksAcknowledged = _chunksSent;
            _windowFullSince = null;
            SendChunks();
        }
    }

    private void ToServer(INodeMessage message) => _clusterClient.Tell(new ClusterClient.Send(NodeConfig.GatewayPath, message, localAffinity: false));

    private void OnChunk(Chunk chunk)
    {
        Acknowledge();
        switch (_assembler.Add(chunk, DateTime.UtcNow))
        {
            case TransferCompleted done when _local.TryGetValue(done.Client, out var client):
                try
                {
                    client.Tell(Chunking.Read(Context.System, done.Manifest, done.Bytes));
                }
                catch (SerializationException e)
                {
                    _log.Error("A message from the server for client {Client} is unreadable and dropped: {Reason}", done.Client, e.Message);
                }

                break;
            case TransferCompleted done:
                _log.Warning("The server sent a message for client {Client}, which this node does not host", done.Client);
                break;
            case TransferBroken broken:
                _log.Error("A message from the server for client {Client} is lost: transfer {Transfer} is broken: {Reason}", broken.Client, broken.Transfer, broken.Reason);
                break;
        }
    }

    // The server keeps a bounded number of its messages in flight to this node (NodeOutbox): a
    // quarter of that window at a time keeps it open without an acknowledgement per chunk.
    private void Acknowledge()
    {
        if (++_unacknowledged >= NodeOutbox.Window / 4)
        {
            ToServer(new ChunksReceived(_clients[0], _unacknowledged));
            _unacknowledged = 0;
        }
    }

    // Requests built from a model the server sent once for all of this node's clients: each goes to
    // its client, or, when it could not be built, the server hears so and drops that client's update.
    private void Deliver(IReadOnlyList<ResolvedRequest> resolved)
    {
        foreach (var (request, model, failure) in resolved)
        {
            var reason = failure;
            if (model is not null && _local.TryGetValue(request.Client, out var client))
            {
                try
                {
                    var protocol = (ProtocolSerializer)Context.System.Serialization.FindSerializerForType(typeof(IFedActorsMessage));
                    client.Tell(protocol.FromParts(request.Before, model, request.After, request.Manifest));
                    continue;
                }
                catch (SerializationException e)
                {
                    reason = $"request {request.Transfer} is unreadable: {e.Message}";
                }
            }

            reason ??= $"this node does not host client {request.Client}";
            _log.Error("A request from the server for client {Client} is lost, and so is its update this round: {Reason}", request.Client, reason);
            ToServer(new RequestLost(request.Client, request.Model, reason));
        }
    }

    private void End(ClientNodeOutcome outcome)
    {
        if (outcome.Stopped)
        {
            _log.Warning("{Reason}", outcome.Detail);
        }
        else if (!outcome.Succeeded)
        {
            _log.Error("{Reason}", outcome.Detail);
        }

        _outcome.TrySetResult(outcome);
        Timers.CancelAll();
        _bulk?.Close("this node's link ended");
        _bulk = null;
        Become(() =>
        {
            // Nothing left to tell the server: a stop that comes now may go on at once.
            Receive<Leave>(_ => Sender.Tell(Done.Instance));
            Receive<object>(_ => { });
        });
    }

    /// <summary>The node is being stopped (CoordinatedShutdown, for <see cref="StopRequested"/>): tell the server, then answer <see cref="Done"/>.</summary>
    internal sealed record Leave(string Signal) : INoSerializationVerificationNeeded;

    private sealed record SendHello : INoSerializationVerificationNeeded
    {
        public static readonly SendHello Instance = new();
    }

    private sealed record ConnectTimeout : INoSerializationVerificationNeeded
    {
        public static readonly ConnectTimeout Instance = new();
    }

    private sealed record ServerLost : INoSerializationVerificationNeeded
    {
        public static readonly ServerLost Instance = new();
    }

    private sealed record ExpireTransfers : INoSerializationVerificationNeeded
    {
        public static readonly ExpireTransfers Instance = new();
    }

    /// <summary>A client's message, to the server or from it.</summary>
    private sealed record Outgoing(ClientId Client, IFedActorsMessage Message);

    private sealed record WholeModel(Guid Id, byte[] Bytes);

    private sealed record BulkDialed(BulkConnection Connection, byte[] Token) : INoSerializationVerificationNeeded;

    private sealed record BulkDialFailed(string Reason) : INoSerializationVerificationNeeded;

    private sealed record BulkEnded(BulkConnection Connection, BulkLoss Loss) : INoSerializationVerificationNeeded;

    /// <summary>A frame from the server, read: a model, a shared request or a client's message; or why it could not be.</summary>
    private sealed record FromBulk(object? Message, string? Failure) : INoSerializationVerificationNeeded;


}
