using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Picks a round's clients: <see cref="SampleSize"/> of the N registered clients, drawn without
/// replacement by a seeded partial Fisher-Yates shuffle over the ids in ordinal order, so the
/// same seed and registrations give the same sample.
/// </summary>
public static class ClientSampler
{
    // fraction · N is computed in binary floating point, where 0.29 · 100 is 28.999999999999996:
    // a fraction the user wrote in decimal must not lose a client to that.
    private const double DecimalSlack = 1e-9;

    /// <summary>
    /// How many of <paramref name="registered"/> clients a round asks: <c>max(⌊fraction · N⌋, minimum)</c>,
    /// at most N. The one rule for this count: the sampler and everything that announces it use it.
    /// </summary>
    public static int SampleSize(int registered, double fraction, int minimum) =>
        Math.Min(registered, Math.Max((int)Math.Floor((fraction * registered) + DecimalSlack), minimum));

    /// <summary>The sampled clients, in id order.</summary>
    public static ImmutableArray<ClientId> Sample(IEnumerable<ClientId> registered, double fraction, int minimum, int seed)
    {
        var pool = registered.Order().ToArray();
        var count = SampleSize(pool.Length, fraction, minimum);
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return [.. pool.Take(count).Order()];
    }
}
