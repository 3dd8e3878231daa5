using System.IO.Hashing;
using FedActors.Cluster.Protocol;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// A client node's copies of the server's global models, by id, and the requests that wait for
/// one: the server sends a round's model once (<see cref="ModelChunk"/>s) and each of the node's
/// clients a <see cref="SharedRequest"/> that names it. At most <see cref="Capacity"/> models are
/// kept, the newest ones (the round's and the previous one, whose late requests may still come):
/// a model that starts arriving frees the oldest.
/// <para>
/// A request that comes before its model's last chunk waits for it. A model whose chunk fails a
/// check (its CRC-32, its place, its count), or whose next chunk does not come in time, is broken:
/// every request that names it, waiting or yet to come, fails naming the model and the check; so
/// does a request for a model the node no longer holds. Other models and requests go on.
/// </para>
/// </summary>
internal sealed class ModelCache
{
    /// <summary>How many models a node keeps: the current round's and the previous one's.</summary>
    public const int Capacity = 2;

    // Bounds a corrupt or hostile count before anything is allocated for it, as TransferAssembler does.
    private const int MaxChunks = 1 << 16;

    // Oldest first.
    private readonly List<Entry> _models = [];

    /// <summary>The ids of the models held whole, oldest first; for tests.</summary>
    public IReadOnlyList<Guid> Held => [.. _models.Where(m => m.Whole is not null).Select(m => m.Id)];

    /// <summary>Requests waiting for their model's last chunk.</summary>
    public int Waiting => _models.Sum(m => m.Waiting.Count);

    /// <summary>Takes one piece of a model.</summary>
    /// <returns>The requests this piece completed (their payloads) or failed (a broken model); empty while more pieces are due.</returns>
    public IReadOnlyList<ResolvedRequest> Add(ModelChunk chunk, DateTime now)
    {
        var of = $"model {chunk.Model}: chunk {chunk.Index} of {chunk.Count}";
        var entry = _models.Find(m => m.Id == chunk.Model);
        if (chunk.Index == 0 && chunk.Count is >= 1 and <= MaxChunks)
        {
            // A model starting, or sent again (after a connection dropped, or a request it could not serve).
            var waiting = entry?.Waiting ?? [];
            if (entry is not null)
            {
                _models.Remove(entry);
            }

            entry = new Entry(chunk.Model, chunk.Count, waiting);
            _models.Add(entry);
            var failed = Evict();
            return [.. failed, .. Take(entry, chunk, now, of)];
        }

        if (entry is null)
        {
            // Its start was lost, or it was let go: requests that name it will say so.
            entry = new Entry(chunk.Model, chunk.Count, []);
            _models.Add(entry);
            return [.. Evict(), .. Break(entry, chunk.Count is < 1 or > MaxChunks ? $"{of} is out of range (at most {MaxChunks} chunks)" : $"{of} arrived first, where chunk 0 was expected (reordered, or the model's start was lost)")];
        }

        return entry.Broken is not null || entry.Whole is not null ? [] : Take(entry, chunk, now, of);
    }

    /// <summary>Takes a whole model, checked on the way (a bulk frame's CRC-32): kept as it came, without a copy.</summary>
    /// <returns>The requests it completed, and those of an older model it let go.</returns>
    public IReadOnlyList<ResolvedRequest> AddWhole(Guid model, byte[] bytes)
    {
        var entry = _models.Find(m => m.Id == model);
        var waiting = entry?.Waiting ?? [];
        if (entry is not null)
        {
            _models.Remove(entry);
        }

        entry = new Entry(model, 1, []) { Whole = bytes };
        _models.Add(entry);
        return [.. Evict(), .. waiting.Select(r => Resolve(r, bytes))];
    }

    /// <summary>Takes a request that names a model.</summary>
    /// <returns>The request's payload or failure, or nothing while its model is still arriving.</returns>
    public IReadOnlyList<ResolvedRequest> Request(SharedRequest request)
    {
        var crc = new Crc32();
        crc.Append(request.Before.Span);
        crc.Append(request.After.Span);
        if (crc.GetCurrentHashAsUInt32() != request.Checksum)
        {
            return [new ResolvedRequest(request, null, $"request {request.Transfer} is corrupted: its CRC-32 is {crc.GetCurrentHashAsUInt32():x8}, the sender's {request.Checksum:x8}")];
        }

        var entry = _models.Find(m => m.Id == request.Model);
        if (entry is null)
        {
            return [new ResolvedRequest(request, null, $"model {request.Model} is not held on this node (superseded by {Capacity} newer models, or it never arrived)")];
        }

        if (entry.Broken is not null)
        {
            return [new ResolvedRequest(request, null, entry.Broken)];
        }

        if (entry.Whole is null)
        {
            entry.Waiting.Add(request);
            return [];
        }

        return [Resolve(request, entry.Whole)];
    }

    /// <summary>Breaks the models whose next chunk has not come within <paramref name="timeout"/> of <paramref name="now"/>.</summary>
    public IReadOnlyList<ResolvedRequest> Expire(DateTime now, TimeSpan timeout)
    {
        var failed = new List<ResolvedRequest>();
        foreach (var entry in _models.Where(m => m.Broken is null && m.Whole is null && now - m.LastSeen > timeout))
        {
            failed.AddRange(Break(entry, $"model {entry.Id} is truncated: {entry.Parts.Count} of its {entry.Count} chunks arrived, and none more within {timeout}"));
        }

        return failed;
    }

    // The request's parts stay apart: each client's request is read across them (ProtocolSerializer.FromParts), without a model-sized copy each.
    private static ResolvedRequest Resolve(SharedRequest request, byte[] model) => new(request, model, null);

    private static List<ResolvedRequest> Break(Entry entry, string reason)
    {
        entry.Broken = reason;
        entry.Parts.Clear();
        var failed = entry.Waiting.Select(r => new ResolvedRequest(r, null, reason)).ToList();
        entry.Waiting.Clear();
        return failed;
    }

    private static List<ResolvedRequest> Take(Entry entry, ModelChunk chunk, DateTime now, string of)
    {
        var crc = Crc32.HashToUInt32(chunk.Data.Span);
        if (crc != chunk.Checksum)
        {
            return Break(entry, $"{of} is corrupted: its CRC-32 is {crc:x8}, the sender's {chunk.Checksum:x8}");
        }

        if (chunk.Index != entry.Parts.Count || chunk.Count != entry.Count)
        {
            return Break(entry, $"{of} arrived where chunk {entry.Parts.Count} of {entry.Count} was expected (reordered or lost)");
        }

        entry.Parts.Add(chunk.Data);
        entry.Bytes += chunk.Data.Length;
        entry.LastSeen = now;
        if (entry.Bytes > Array.MaxLength)
        {
            return Break(entry, $"{of} takes the model past {Array.MaxLength} bytes, more than one buffer holds");
        }

        if (entry.Parts.Count < entry.Count)
        {
            return [];
        }

        var whole = new byte[entry.Bytes];
        var at = 0;
        foreach (var part in entry.Parts)
        {
            part.Span.CopyTo(whole.AsSpan(at));
            at += part.Length;
        }

        entry.Whole = whole;
        entry.Parts.Clear();
        var done = entry.Waiting.Select(r => Resolve(r, whole)).ToList();
        entry.Waiting.Clear();
        return done;
    }

    // Lets the oldest models go, failing the requests still waiting for them.
    private List<ResolvedRequest> Evict()
    {
        var failed = new List<ResolvedRequest>();
        while (_models.Count > Capacity)
        {
            var oldest = _models[0];
            _models.RemoveAt(0);
            failed.AddRange(oldest.Waiting.Select(r => new ResolvedRequest(r, null, $"model {oldest.Id} was let go before its last chunk came: {Capacity} newer models arrived")));
        }

        return failed;
    }

    private sealed class Entry(Guid id, int count, List<SharedRequest> waiting)
    {
        public Guid Id { get; } = id;

        public int Count { get; } = count;

        public List<ReadOnlyMemory<byte>> Parts { get; } = [];

        public List<SharedRequest> Waiting { get; } = waiting;

        public long Bytes { get; set; }

        public byte[]? Whole { get; set; }

        public string? Broken { get; set; }

        public DateTime LastSeen { get; set; }
    }
}

/// <summary>A request to a client with the model it names, or why it could not be built.</summary>
/// <param name="Request">The request: its own bytes before and after the model.</param>
/// <param name="Model">The encoding of the model it names; null when it failed.</param>
/// <param name="Failure">Why it could not be built; null when it was.</param>
internal sealed record ResolvedRequest(SharedRequest Request, byte[]? Model, string? Failure);
