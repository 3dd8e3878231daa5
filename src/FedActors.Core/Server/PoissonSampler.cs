using System.Collections.Immutable;
using System.Numerics;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// Poisson sampling, as the accountant of central DP assumes (Mironov, Talwar and Zhang 2019,
/// arXiv:1908.10530): each client is in the sample independently with probability q, so the
/// sample's size is random (Binomial(N, q)) and may be 0.
/// </summary>
/// <remarks>
/// <para>
/// Each inclusion is an exact Bernoulli(q): q, a double, is m·2^−k for whole m and k, and a
/// uniform integer below 2^k is compared with m (<see cref="NoiseSource"/>'s rejection
/// sampling), so no floating-point rounding biases it. The bits come from the OS CSPRNG in
/// private mode: drawn from the run's seed, which metrics.json publishes, anyone could recompute
/// who was sampled, and the amplification by sampling that the accountant credits would be void.
/// The seeded source is for reproducible tests only.
/// </para>
/// <para>
/// How the round engine is reconciled with it (<see cref="RoundCoordinator"/>): min-fit-clients
/// is not a sampling minimum (a draw smaller than it still runs), an attempt needs at least one
/// valid update, an empty draw fails the attempt, and a failed attempt is retried with a fresh
/// draw; every attempt is one more sampled step for the accountant
/// (<see cref="Strategies.IStrategy.BeforeAttempt"/>).
/// </para>
/// </remarks>
public static class PoissonSampler
{
    /// <summary>The clients drawn, in id order.</summary>
    /// <param name="clients">Who may be drawn (the reachable registered clients).</param>
    /// <param name="rate">q in (0, 1].</param>
    /// <param name="source">The random bits: <see cref="NoiseSource.Secure"/> unless in the seeded-non-private mode.</param>
    /// <exception cref="ArgumentOutOfRangeException">q is outside (0, 1].</exception>
    public static ImmutableArray<ClientId> Sample(IEnumerable<ClientId> clients, double rate, NoiseSource source)
    {
        if (!(rate > 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "the sampling rate must be in (0, 1]");
        }

        var (numerator, denominator) = Exact(rate);
        return [.. clients.Order().Where(_ => DiscreteSampler.Bernoulli(source, numerator, denominator))];
    }

    // q = m / 2^k exactly: a double's significand over a power of two.
    private static (BigInteger Numerator, BigInteger Denominator) Exact(double rate)
    {
        var bits = BitConverter.DoubleToInt64Bits(rate);
        var exponent = (int)((bits >> 52) & 0x7FF);
        var significand = bits & 0xF_FFFF_FFFF_FFFFL;
        var (m, e) = exponent == 0 ? (significand, -1074) : (significand | (1L << 52), exponent - 1075);
        return e >= 0 ? (new BigInteger(m) << e, BigInteger.One) : (new BigInteger(m), BigInteger.One << -e);
    }
}
