using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>Who a phase still expects, who replied, who was dropped and why.</summary>
/// <typeparam name="TReply">The reply the phase collects.</typeparam>
internal sealed class PhaseTracker<TReply>
    where TReply : class
{
    private readonly string _phase;
    private readonly HashSet<ClientId> _pending;
    private readonly SortedDictionary<ClientId, TReply> _replies = [];
    private readonly SortedDictionary<ClientId, ClientDrop> _drops = [];

    public PhaseTracker(string phase, IEnumerable<ClientId> participants)
    {
        _phase = phase;
        _pending = [.. participants];
    }

    public bool IsComplete => _pending.Count == 0;

    public int ReplyCount => _replies.Count;

    public bool IsPending(ClientId client) => _pending.Contains(client);

    /// <summary>Replies in client-id order: the order every aggregation uses.</summary>
    public ImmutableArray<KeyValuePair<ClientId, TReply>> Replies => [.. _replies];

    public ImmutableArray<ClientDrop> Drops => [.. _drops.Values];

    /// <summary>Records a reply; false when the client is not (or no longer) expected.</summary>
    public bool Accept(ClientId client, TReply reply)
    {
        if (!_pending.Remove(client))
        {
            return false;
        }

        _replies.Add(client, reply);
        return true;
    }

    /// <summary>Drops a pending client; false when it was not pending.</summary>
    public bool Drop(ClientId client, DropReason reason, string detail) => TryDrop(client, reason, detail) is not null;

    /// <summary>Drops a pending client and returns its drop; null when it was not pending.</summary>
    public ClientDrop? TryDrop(ClientId client, DropReason reason, string detail)
    {
        if (!_pending.Remove(client))
        {
            return null;
        }

        var drop = new ClientDrop(client, _phase, reason, detail);
        _drops.Add(client, drop);
        return drop;
    }

    /// <summary>Drops every client still pending, in id order; returns them.</summary>
    public IReadOnlyList<ClientId> DropAllPending(DropReason reason, string detail)
    {
        var dropped = _pending.Order().ToList();
        foreach (var client in dropped)
        {
            Drop(client, reason, detail);
        }

        return dropped;
    }
}
