using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// The order in which a round's fit requests go out: longest job first (LPT; Graham 1969,
/// "Bounds on multiprocessing timing anomalies", SIAM J. Appl. Math. 17(2): a greedy schedule in
/// that order ends within 4/3 of the shortest possible). The training threads take the requests
/// in the order they arrive, so sending the biggest fits first lets the threads finish together
/// instead of one thread starting a big shard while the other waits at the round's barrier.
/// <para>
/// A fit's work is taken as the sample count its client reported last (work is samples times
/// epochs, and the epochs are the same for every client of a round). A client not yet heard from
/// goes first, since its work is unknown; ties keep the sampler's order, so the order is a
/// function of the run's seed. It is not used with over-selection (fit-first-replies), where the
/// first replies are the ones aggregated. Otherwise the order changes no result: aggregation takes the replies in client-id
/// order, whatever their arrival, and each fit's seed derives from the round and the client, not
/// from its position; so a resumed run, which starts without this memory, still ends bit for bit as
/// the uninterrupted one.
/// </para>
/// </summary>
internal sealed class FitOrder
{
    private readonly Dictionary<ClientId, int> _lastSamples = [];

    /// <summary>Remembers <paramref name="client"/>'s reported sample count for its next rounds.</summary>
    public void Record(ClientId client, int samples) => _lastSamples[client] = samples;

    /// <summary><paramref name="participants"/>, biggest known fit last-reported first, unknown ones before all.</summary>
    public ImmutableArray<ClientId> LargestFirst(ImmutableArray<ClientId> participants) =>
        [.. participants.OrderByDescending(c => _lastSamples.TryGetValue(c, out var samples) ? samples : int.MaxValue)];
}
