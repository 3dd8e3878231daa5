using System.IO.Hashing;
using Akka.Actor;
using Akka.Event;
using Akka.Serialization;
using FedActors.Cluster.Protocol;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// Everything the server sends to one client node's link, in order, through one actor: a request
/// that carries a round's global model sends the model as <see cref="ModelChunk"/>s the first time
/// the node needs it, and then a small <see cref="SharedRequest"/> per client that names it, so a
/// node hosting K clients receives one model per round, not K. Other requests go as
/// <see cref="Chunk"/>s, as before.
/// <para>
/// Sending is paced: at most <see cref="Window"/> of these messages are unacknowledged by the
/// node's <see cref="ChunksReceived"/> at a time, so that the connection, which also carries the
/// heartbeats both sides watch, never has more than a few megabytes of model queued on it.
/// </para>
/// <para>
/// When the node has a bulk connection (<see cref="UseBulk"/>), each message goes on it whole
/// instead: the model once as one <see cref="BulkKind.Model"/> frame, then the requests, in the
/// same order as on the chunked path; nothing there needs pacing, since no heartbeat shares
/// that connection. Only when nothing is queued for the chunked path, so that a node's messages
/// never overtake each other. When the bulk connection ends, the requests that never left go
/// again in chunks, and the models with them.
/// </para>
/// <para>
/// The outbox remembers the last <see cref="ModelCache.Capacity"/> models it sent, as many as the
/// node keeps, in the same order, so it never names a model the node has let go. It forgets them
/// when the node's connection drops or comes back (chunks may have been lost on the way) and when
/// the node reports a request it could not build (<see cref="ForgetModel"/>): the next request
/// that needs that model sends it again.
/// </para>
/// </summary>
internal sealed class NodeOutbox : ReceiveActor, IWithTimers
{
    /// <summary>
    /// Messages in flight per node: 32 chunks of the default 64 KiB are 2 MiB, enough to keep a
    /// loopback connection busy between acknowledgements, few enough that a heartbeat waits at most
    /// a few milliseconds behind them.
    /// </summary>
    public const int Window = 32;

    private readonly IActorRef _link;
    private readonly int _chunkSize;
    private readonly SharedModels _models;
    private readonly int _window;
    private readonly Queue<INodeMessage> _queue = new();
    private readonly List<Guid> _sentModels = [];
    private readonly TimeSpan _stall;
    private long _sent;
    private long _acknowledged;
    private DateTime? _windowFullSince;
    private BulkConnection? _bulk;

    public NodeOutbox(IActorRef link, int chunkSize, SharedModels models, int window, TimeSpan stall)
    {
        _link = link;
        _window = window;
        _stall = stall;
        _chunkSize = chunkSize;
        _models = models;
        Receive<OutboundRequest>(m => Enqueue(m.Client, m.Message));
        Receive<ChunksReceived>(m =>
        {
            _acknowledged = Math.Min(_acknowledged + Math.Max(m.Count, 0), _sent);
            _windowFullSince = null;
            Pump();
        });
        Receive<CheckWindow>(_ =>
        {
            // Acknowledgements lost on the way: what was in flight is delivered or lost by now.
            if (_windowFullSince is { } since && DateTime.UtcNow - since > _stall)
            {
                Context.GetLogger().Warning("Node link {Link} acknowledged none of the last {Count} chunks within {Stall}: sending the rest", _link, _sent - _acknowledged, _stall);
                _acknowledged = _sent;
                _windowFullSince = null;
                Pump();
            }
        });
        Receive<ForgetModel>(m => _sentModels.Remove(m.Model));
        Receive<UseBulk>(m => _bulk = m.Connection);
        Receive<BulkLost>(m =>
        {
            if (!ReferenceEquals(_bulk, m.Connection))
            {
                return;
            }

            // Models cut off or queued with it may never have arrived.
            _bulk = null;
            _sentModels.Clear();
            foreach (var unsent in m.Unsent.Select(f => f.Origin).OfType<OutboundRequest>())
            {
                Enqueue(unsent.Client, unsent.Message);
            }
        });
        Receive<NodeConnectionChanged>(_ =>
        {
            // What was in flight may be lost, and its acknowledgements with it.
            _sentModels.Clear();
            _acknowledged = _sent;
            _windowFullSince = null;
            Pump();
        });
    }

    /// <summary>Props for the outbox of the node whose link is <paramref name="link"/>; <paramref name="models"/> is shared by every node's outbox.</summary>
    /// <param name="link">The node's link.</param>
    /// <param name="chunkSize">The largest chunk, in bytes.</param>
    /// <param name="models">The encoded models, shared by every node's outbox.</param>
    /// <param name="stall">How long a full window may wait for an acknowledgement before it counts as lost (the heartbeat pause).</param>
    /// <param name="window">Messages in flight at most: <see cref="Window"/>, or another for a benchmark that compares.</param>
    public static Props Props(IActorRef link, int chunkSize, SharedModels models, TimeSpan stall, int window = Window) =>
        Akka.Actor.Props.Create(() => new NodeOutbox(link, chunkSize, models, window, stall));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => Timers.StartPeriodicTimer("window-check", CheckWindow.Instance, TimeSpan.FromTicks(Math.Max(_stall.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks)));

    private void Enqueue(ClientId client, IFedActorsMessage message)
    {
        if (_bulk is { } bulk && _queue.Count == 0 && SendBulk(bulk, new OutboundRequest(client, message)))
        {
            return;
        }

        if (ProtocolSerializer.TrySplitAroundGlobal(message, out var global, out var before, out var after)
            && before.Length + after.Length <= _chunkSize)
        {
            var model = _models.Of(global);
            if (!_sentModels.Contains(model.Id))
            {
                Remember(model.Id);
                var pieces = model.Pieces;
                for (var i = 0; i < pieces.Count; i++)
                {
                    _queue.Enqueue(new ModelChunk(model.Id, i, pieces.Count, pieces[i].Checksum, pieces[i].Data));
                }
            }

            var manifest = ((SerializerWithStringManifest)Context.System.Serialization.FindSerializerFor(message)).Manifest(message);
            _queue.Enqueue(Shared(client, manifest, model.Id, before, after));
        }
        else
        {
            // A request without a model, or whose own parts (a strategy's extra tensors) are larger
            // than a chunk: all of it for this client, with the model's pieces still encoded once.
            foreach (var chunk in Chunking.SplitRequest(Context.System, client, message, _chunkSize, _models))
            {
                _queue.Enqueue(chunk);
            }
        }

        Pump();
    }

    // False when the connection has ended: the message goes in chunks.
    private bool SendBulk(BulkConnection bulk, OutboundRequest request)
    {
        var serializer = (ProtocolSerializer)Context.System.Serialization.FindSerializerFor(request.Message);
        var manifest = serializer.Manifest(request.Message);
        if (!ProtocolSerializer.TrySplitAroundGlobal(request.Message, out var global, out var before, out var after))
        {
            return bulk.TrySendMessage(serializer, request.Client, request.Message, request);
        }

        var model = _models.Of(global);
        if (!_sentModels.Contains(model.Id))
        {
            if (!bulk.TrySend(BulkFrame.Model(model.Id, model.Bytes)))
            {
                return false;
            }

            Remember(model.Id);
        }

        var shared = Shared(request.Client, manifest, model.Id, before, after);
        var cluster = (SerializerWithStringManifest)Context.System.Serialization.FindSerializerFor(shared);
        return bulk.TrySend(BulkFrame.NodeMessage(cluster.Manifest(shared), cluster.ToBinary(shared)) with { Origin = request });
    }

    // A request that names the model: its own bytes on either side of it, under one CRC-32.
    private static SharedRequest Shared(ClientId client, string manifest, Guid model, byte[] before, byte[] after)
    {
        var crc = new Crc32();
        crc.Append(before);
        crc.Append(after);
        return new SharedRequest(Guid.NewGuid(), client, manifest, model, crc.GetCurrentHashAsUInt32(), before, after);
    }

    private void Remember(Guid model)
    {
        _sentModels.Add(model);
        if (_sentModels.Count > ModelCache.Capacity)
        {
            _sentModels.RemoveAt(0);
        }
    }

    private void Pump()
    {
        while (_queue.Count > 0 && _sent - _acknowledged < _window)
        {
            _link.Tell(_queue.Dequeue());
            _sent++;
        }

        _windowFullSince ??= _queue.Count > 0 ? DateTime.UtcNow : null;
    }
}

/// <summary>A request of the coordinator's for <paramref name="Client"/> on the outbox's node.</summary>
internal sealed record OutboundRequest(ClientId Client, IFedActorsMessage Message) : INoSerializationVerificationNeeded;

/// <summary>From now on, send on the node's bulk connection <paramref name="Connection"/>.</summary>
internal sealed record UseBulk(BulkConnection Connection) : INoSerializationVerificationNeeded;

/// <summary>The node's bulk connection <paramref name="Connection"/> ended; <paramref name="Unsent"/> never left whole.</summary>
internal sealed record BulkLost(BulkConnection Connection, IReadOnlyList<BulkFrame> Unsent) : INoSerializationVerificationNeeded;

/// <summary>The node could not use model <paramref name="Model"/>: send it again when next needed.</summary>
internal sealed record ForgetModel(Guid Model) : INoSerializationVerificationNeeded;

/// <summary>Time to check whether a full window has waited too long for an acknowledgement.</summary>
internal sealed record CheckWindow : INoSerializationVerificationNeeded
{
    public static readonly CheckWindow Instance = new();
}

/// <summary>The node's connection dropped or came back: what was in flight may be lost.</summary>
internal sealed record NodeConnectionChanged : INoSerializationVerificationNeeded
{
    public static readonly NodeConnectionChanged Instance = new();
}
