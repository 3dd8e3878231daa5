using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// One exchange of a round with a set of clients: who is still expected, who replied, who was
/// dropped and why. A round is a sequence of such phases (today: fit; with secure aggregation:
/// advertise keys, share keys, masked input, unmask), each with its own participants, taken
/// from the survivors of the phase before, and its own deadline.
/// </summary>
/// <typeparam name="TReply">The reply this phase collects.</typeparam>
internal sealed class PhaseTracker<TReply>
    where TReply : class
{
    private readonly HashSet<ClientId> _pending;
    private readonly SortedDictionary<ClientId, TReply> _replies = [];
    private readonly SortedDictionary<ClientId, ClientDrop> _drops = [];

    public PhaseTracker(IEnumerable<ClientId> participants) => _pending = [.. participants];

    public bool IsComplete => _pending.Count == 0;

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
    public bool Drop(ClientId client, DropReason reason, string detail)
    {
        if (!_pending.Remove(client))
        {
            return false;
        }

        _drops.Add(client, new ClientDrop(client, reason, detail));
        return true;
    }

    /// <summary>Drops every client still pending, in id order.</summary>
    public void DropAllPending(DropReason reason, string detail)
    {
        foreach (var client in _pending.Order().ToList())
        {
            Drop(client, reason, detail);
        }
    }
}
