using System.IO.Hashing;
using FedActors.Cluster.Protocol;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// Puts chunked messages back together, checking each chunk as it comes: its CRC-32, that it is
/// the next one of its transfer (Akka.Remote keeps the order between two actors, so a chunk out of
/// order means one was lost or the sender is broken), and that it agrees with the transfer's first
/// chunk. A transfer that fails a check, or whose next chunk does not come in time, is abandoned
/// and reported once, naming its client (its later chunks are passed over); the other transfers go on.
/// </summary>
internal sealed class TransferAssembler
{
    // Bounds a corrupt or hostile count before anything is allocated for it: 65,536 chunks of
    // 64 KiB is 4 GiB, beyond any model this runtime trains.
    private const int MaxChunks = 1 << 16;

    // Bounds the memory of broken transfers whose last chunk never comes.
    private const int MaxBroken = 1024;

    private readonly Dictionary<Guid, Pending> _pending = [];
    private readonly HashSet<Guid> _broken = [];

    /// <summary>Transfers begun and not finished.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Takes one chunk.</summary>
    /// <param name="chunk">The chunk.</param>
    /// <param name="now">The time, for <see cref="Expire"/>.</param>
    /// <returns>The whole message when this was its last chunk, a broken transfer, or null while more chunks are due.</returns>
    public TransferOutcome? Add(Chunk chunk, DateTime now)
    {
        // The rest of a transfer already reported broken: nothing more to say about it.
        if (_broken.Contains(chunk.Transfer))
        {
            if (chunk.Index == chunk.Count - 1)
            {
                _broken.Remove(chunk.Transfer);
            }

            return null;
        }

        _pending.TryGetValue(chunk.Transfer, out var pending);
        var problem = Problem(chunk, pending);
        if (problem is not null)
        {
            _pending.Remove(chunk.Transfer);
            Forget(chunk);
            return new TransferBroken(chunk.Client, chunk.Transfer, problem);
        }

        if (chunk.Count == 1)
        {
            return new TransferCompleted(chunk.Client, chunk.Manifest, chunk.Data.ToArray());
        }

        pending ??= new Pending(chunk.Client, chunk.Manifest, chunk.Count);
        pending.Parts.Add(chunk.Data);
        pending.Bytes += chunk.Data.Length;
        if (pending.Bytes > Array.MaxLength)
        {
            _pending.Remove(chunk.Transfer);
            return new TransferBroken(chunk.Client, chunk.Transfer, $"chunk {chunk.Index} of {chunk.Count} takes the message past {Array.MaxLength} bytes, more than one buffer holds");
        }

        pending.LastSeen = now;
        if (pending.Parts.Count < pending.Count)
        {
            _pending[chunk.Transfer] = pending;
            return null;
        }

        _pending.Remove(chunk.Transfer);
        var whole = new byte[(int)pending.Bytes];
        var at = 0;
        foreach (var part in pending.Parts)
        {
            part.Span.CopyTo(whole.AsSpan(at));
            at += part.Length;
        }

        return new TransferCompleted(pending.Client, pending.Manifest, whole);
    }

    /// <summary>Abandons the transfers whose last chunk came longer than <paramref name="timeout"/> before <paramref name="now"/>.</summary>
    public IReadOnlyList<TransferBroken> Expire(DateTime now, TimeSpan timeout)
    {
        var expired = _pending.Where(p => now - p.Value.LastSeen > timeout).ToList();
        foreach (var (id, _) in expired)
        {
            _pending.Remove(id);
        }

        return expired
            .Select(p => new TransferBroken(p.Value.Client, p.Key, $"truncated: {p.Value.Parts.Count} of its {p.Value.Count} chunks arrived, and none more within {timeout}"))
            .ToList();
    }

    private void Forget(Chunk chunk)
    {
        if (chunk.Index < chunk.Count - 1 && chunk.Count <= MaxChunks)
        {
            if (_broken.Count >= MaxBroken)
            {
                _broken.Clear();
            }

            _broken.Add(chunk.Transfer);
        }
    }

    private static string? Problem(Chunk chunk, Pending? pending)
    {
        var of = $"chunk {chunk.Index} of {chunk.Count}";
        if (chunk.Count < 1 || chunk.Count > MaxChunks || chunk.Index < 0 || chunk.Index >= chunk.Count)
        {
            return $"{of} is out of range (at most {MaxChunks} chunks)";
        }

        var crc = Crc32.HashToUInt32(chunk.Data.Span);
        if (crc != chunk.Checksum)
        {
            return $"{of} is corrupted: its CRC-32 is {crc:x8}, the sender's {chunk.Checksum:x8}";
        }

        if (pending is null)
        {
            return chunk.Index == 0 ? null : $"{of} arrived first, where chunk 0 was expected (reordered, or the transfer's start was lost)";
        }

        if (chunk.Index != pending.Parts.Count)
        {
            return $"{of} arrived where chunk {pending.Parts.Count} was expected (reordered or lost)";
        }

        return chunk.Count != pending.Count || chunk.Manifest != pending.Manifest || chunk.Client != pending.Client
            ? $"{of} disagrees with the transfer's first chunk (client {pending.Client}, {pending.Count} chunks, manifest {pending.Manifest})"
            : null;
    }

    private sealed class Pending(ClientId client, string manifest, int count)
    {
        public ClientId Client { get; } = client;

        public string Manifest { get; } = manifest;

        public int Count { get; } = count;

        public List<ReadOnlyMemory<byte>> Parts { get; } = [];

        public long Bytes { get; set; }

        public DateTime LastSeen { get; set; }
    }
}

/// <summary>What a chunk finished: a whole message or a broken transfer.</summary>
internal abstract record TransferOutcome(ClientId Client);

/// <summary>All of a message's chunks arrived intact and in order.</summary>
/// <param name="Client">Whom the message is from or for.</param>
/// <param name="Manifest">The protocol serializer's manifest.</param>
/// <param name="Bytes">The serialized message.</param>
internal sealed record TransferCompleted(ClientId Client, string Manifest, byte[] Bytes) : TransferOutcome(Client);

/// <summary>A transfer failed a check or timed out; its message is lost.</summary>
/// <param name="Client">Whom the message was from or for.</param>
/// <param name="Transfer">The transfer's id.</param>
/// <param name="Reason">Which check failed.</param>
internal sealed record TransferBroken(ClientId Client, Guid Transfer, string Reason) : TransferOutcome(Client);
