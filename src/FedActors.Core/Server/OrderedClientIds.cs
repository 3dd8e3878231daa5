using System.Collections;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Registered client ids in ordinal order, indexable, so that a round samples a million clients by
/// drawing indices instead of sorting and copying every id each round. Ids register nearly in
/// order (a simulation creates its clients in id order; two training threads interleave them a
/// little), so an id goes in at its place when that is near the end (moving at most
/// <see cref="MaxShift"/> ids); an id far out of order is appended and marks the list unsorted,
/// and the next read sorts it once. A stable registry costs nothing per round.
/// </summary>
internal sealed class OrderedClientIds : IReadOnlyList<ClientId>
{
    /// <summary>The most ids an insertion moves (32 KB of references) before it defers to one sort.</summary>
    public const int MaxShift = 4096;

    private readonly List<ClientId> _ids = [];
    private bool _sorted = true;

    /// <summary>How many ids.</summary>
    public int Count => _ids.Count;

    /// <summary>The id at <paramref name="index"/> in ordinal order.</summary>
    public ClientId this[int index]
    {
        get
        {
            EnsureSorted();
            return _ids[index];
        }
    }

    /// <summary>Adds an id that is not in the list.</summary>
    public void Add(ClientId id)
    {
        if (_sorted && _ids.Count > 0 && _ids[^1].CompareTo(id) > 0)
        {
            var at = ~_ids.BinarySearch(id);
            if (_ids.Count - at <= MaxShift)
            {
                _ids.Insert(at, id);
                return;
            }

            _sorted = false;
        }

        _ids.Add(id);
    }

    /// <summary>Removes an id; false when it is not in the list.</summary>
    public bool Remove(ClientId id)
    {
        EnsureSorted();
        var index = _ids.BinarySearch(id);
        if (index < 0)
        {
            return false;
        }

        _ids.RemoveAt(index);
        return true;
    }

    /// <inheritdoc />
    public IEnumerator<ClientId> GetEnumerator()
    {
        EnsureSorted();
        return _ids.GetEnumerator();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void EnsureSorted()
    {
        if (!_sorted)
        {
            _ids.Sort();
            _sorted = true;
        }
    }
}
