using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Picks a round's clients: <see cref="SampleSize"/> of the N registered clients, drawn without
/// replacement by a seeded partial Fisher-Yates shuffle over the ids in ordinal order, so the
/// same seed and registrations give the same sample. The shuffle is kept sparse (only the
/// positions it swapped), so a round costs O(k) for k sampled, not O(N): with the registry's
/// ordered ids (<see cref="OrderedClientIds"/>) nothing is sorted or copied per round, which is
/// what lets a million registered clients be sampled in microseconds. The draws, and so the
/// samples, are those of the dense shuffle over a sorted copy.
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
        IReadOnlyList<ClientId> pool = registered as OrderedClientIds ?? (IReadOnlyList<ClientId>)[.. registered.Order()];
        var count = SampleSize(pool.Count, fraction, minimum);
        var random = new Random(seed);

        // Position p holds index p until a swap moved another index there.
        var moved = new Dictionary<int, int>(count);
        var picked = new int[count];
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Count);
            picked[i] = moved.GetValueOrDefault(j, j);

            // Position i is never read again (later draws start above it); j takes what i held.
            moved[j] = moved.GetValueOrDefault(i, i);
        }

        // The pool is in id order, so the sample in id order is its indices in order.
        Array.Sort(picked);
        var sample = ImmutableArray.CreateBuilder<ClientId>(count);
        foreach (var index in picked)
        {
            sample.Add(pool[index]);
        }

        return sample.MoveToImmutable();
    }
}
