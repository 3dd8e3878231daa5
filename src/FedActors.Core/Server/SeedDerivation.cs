using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Derives independent seeds from the run's seed, so that every random decision (which clients
/// a round samples, how a client shuffles) depends only on configuration, never on timing or on
/// the process's randomised string hashing.
/// </summary>
public static class SeedDerivation
{
    /// <summary>A seed for <paramref name="purpose"/> in one attempt of one round.</summary>
    public static int ForRound(int runSeed, string purpose, RoundNumber round, int attempt) =>
        ToSeed(RoundState(runSeed, purpose, round, attempt));

    /// <summary>The seed a client trains with in one attempt of one round.</summary>
    public static int ForClient(int runSeed, RoundNumber round, int attempt, ClientId client) =>
        ToSeed(Mix(RoundState(runSeed, "fit", round, attempt), Fnv1a(client.Value)));

    private static ulong RoundState(int runSeed, string purpose, RoundNumber round, int attempt) =>
        Mix(Mix(Mix((uint)runSeed, Fnv1a(purpose)), (ulong)round.Value), (ulong)attempt);

    private static int ToSeed(ulong state) => (int)(state & 0x7FFF_FFFF);

    // SplitMix64's finaliser over the running state and the next input: cheap, and every input
    // bit affects every output bit.
    private static ulong Mix(ulong state, ulong input)
    {
        var z = state + 0x9E3779B97F4A7C15UL + (input * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}
