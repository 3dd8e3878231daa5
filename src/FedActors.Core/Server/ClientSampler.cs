using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Picks a round's clients: <c>max(floor(fraction · N), min)</c> of the N registered clients
/// (at most N), drawn without replacement by a seeded partial Fisher-Yates shuffle over the ids
/// in ordinal order, so the same seed and registrations give the same sample.
/// </summary>
public static class ClientSampler
{
    /// <summary>The sampled clients, in id order.</summary>
    public static ImmutableArray<ClientId> Sample(IEnumerable<ClientId> registered, double fraction, int minimum, int seed)
    {
        var pool = registered.Order().ToArray();
        var count = Math.Min(pool.Length, Math.Max((int)Math.Floor(fraction * pool.Length), minimum));
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return [.. pool.Take(count).Order()];
    }
}
