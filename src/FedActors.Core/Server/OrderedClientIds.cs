using System.Collections;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Registered client ids in ordinal order, indexable, so that a round samples a million clients by
/// drawing indices instead of sorting and copying every id each round. The ids are kept in sorted
/// chunks of at most <see cref="MaxChunk"/>, so an id goes in at its place in O(log N + chunk)
/// whatever the order registrations arrive in: a simulation's shards register their clients in
/// parallel, and a single sorted list either moved up to a million ids per out-of-order insertion
/// or, deferring to one sort, made the first round pay 0.7 s for it. Reading index i finds its
/// chunk by binary search over the chunks' starting positions, rebuilt once after changes.
/// </summary>
internal sealed class OrderedClientIds : IReadOnlyList<ClientId>
{
    /// <summary>A chunk that grows beyond this many ids is split in two.</summary>
    public const int MaxChunk = 2048;

    private readonly List<List<ClientId>> _chunks = [];
    private int[] _starts = [];
    private bool _startsCurrent = true;

    /// <summary>How many ids.</summary>
    public int Count { get; private set; }

    /// <summary>The id at <paramref name="index"/> in ordinal order.</summary>
    public ClientId this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            if (!_startsCurrent)
            {
                RebuildStarts();
            }

            var chunk = Array.BinarySearch(_starts, 0, _chunks.Count, index);
            chunk = chunk >= 0 ? chunk : ~chunk - 1;
            return _chunks[chunk][index - _starts[chunk]];
        }
    }

    /// <summary>Adds an id that is not in the list.</summary>
    public void Add(ClientId id)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add([id]);
        }
        else
        {
            var c = ChunkFor(id);
            var chunk = _chunks[c];
            if (chunk[^1].CompareTo(id) < 0)
            {
                chunk.Add(id);
            }
            else
            {
                chunk.Insert(~chunk.BinarySearch(id), id);
            }

            if (chunk.Count > MaxChunk)
            {
                var half = chunk.Count / 2;
                _chunks[c] = chunk[..half];
                _chunks.Insert(c + 1, chunk[half..]);
            }
        }

        Count++;
        _startsCurrent = false;
    }

    /// <summary>Removes an id; false when it is not in the list.</summary>
    public bool Remove(ClientId id)
    {
        if (_chunks.Count == 0)
        {
            return false;
        }

        var c = ChunkFor(id);
        var chunk = _chunks[c];
        var index = chunk.BinarySearch(id);
        if (index < 0)
        {
            return false;
        }

        chunk.RemoveAt(index);
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(c);
        }

        Count--;
        _startsCurrent = false;
        return true;
    }

    /// <inheritdoc />
    public IEnumerator<ClientId> GetEnumerator() => _chunks.SelectMany(chunk => chunk).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // The last chunk whose first id is at most id; the first chunk when id precedes them all.
    private int ChunkFor(ClientId id)
    {
        var (low, high) = (0, _chunks.Count - 1);
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (_chunks[mid][0].CompareTo(id) <= 0)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return low;
    }

    private void RebuildStarts()
    {
        if (_starts.Length < _chunks.Count)
        {
            _starts = new int[_chunks.Capacity];
        }

        var start = 0;
        for (var c = 0; c < _chunks.Count; c++)
        {
            _starts[c] = start;
            start += _chunks[c].Count;
        }

        _startsCurrent = true;
    }
}
