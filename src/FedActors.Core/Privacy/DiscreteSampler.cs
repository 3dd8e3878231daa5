using System.Numerics;

namespace FedActors.Core.Privacy;

/// <summary>
/// Exact samplers for the discrete Laplace and discrete Gaussian distributions on the integers:
/// Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020,
/// arXiv:2004.00010, Algorithms 1 to 3. Only integer arithmetic and uniform integers from a
/// <see cref="NoiseSource"/>: no floating-point value is ever computed, so the output has
/// exactly the stated distribution (given uniform bits).
/// </summary>
/// <remarks>
/// <c>Lap_Z(t)</c>: P(z) ∝ exp(−|z|/t). <c>N_Z(0, σ²)</c>: P(z) ∝ exp(−z²/(2σ²)). The running
/// time depends on the value drawn (CKS20, Section 5.1 on timing): these samplers do not
/// defend against an adversary who can time them.
/// </remarks>
internal static class DiscreteSampler
{
    /// <summary>Bernoulli(numerator / denominator), 0 ≤ numerator ≤ denominator.</summary>
    public static bool Bernoulli(NoiseSource source, BigInteger numerator, BigInteger denominator) =>
        source.UniformBelow(denominator) < numerator;

    /// <summary>Bernoulli(exp(−γ)) for γ = numerator / denominator ≥ 0 (CKS20 Algorithm 1).</summary>
    public static bool BernoulliExpMinus(NoiseSource source, BigInteger numerator, BigInteger denominator)
    {
        // exp(-γ) = exp(-1)^⌊γ⌋ · exp(-(γ - ⌊γ⌋)): one Bernoulli(exp(-1)) per whole unit, then the rest.
        while (numerator > denominator)
        {
            if (!BernoulliExpMinusAtMostOne(source, BigInteger.One, BigInteger.One))
            {
                return false;
            }

            numerator -= denominator;
        }

        return BernoulliExpMinusAtMostOne(source, numerator, denominator);
    }

    /// <summary>Lap_Z(t) for a whole scale t ≥ 1 (CKS20 Algorithm 2 with s = 1).</summary>
    public static long DiscreteLaplace(NoiseSource source, long t)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(t, 1);
        while (true)
        {
            // X = U + t·V with U uniform in [0, t) kept with probability exp(-U/t), V geometric with ratio exp(-1).
            var u = (long)source.UniformBelow((ulong)t);
            if (!BernoulliExpMinusAtMostOne(source, u, t))
            {
                continue;
            }

            long v = 0;
            while (BernoulliExpMinusAtMostOne(source, BigInteger.One, BigInteger.One))
            {
                v++;
            }

            var x = u + checked(t * v);
            var negative = (source.NextUInt64() & 1) == 1;
            if (negative && x == 0)
            {
                continue; // zero would otherwise come up twice as often
            }

            return negative ? -x : x;
        }
    }

    /// <summary>N_Z(0, σ²) for a whole σ ≥ 1 (CKS20 Algorithm 3): Lap_Z(⌊σ⌋ + 1) proposals, accepted with exp(−(|y| − σ²/t)²/(2σ²)).</summary>
    public static long DiscreteGaussian(NoiseSource source, long sigma)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sigma, 1);
        var t = sigma + 1;
        var sigmaSquared = (BigInteger)sigma * sigma;
        var denominator = 2 * sigmaSquared * t * t;
        while (true)
        {
            var y = DiscreteLaplace(source, t);
            var gap = (BigInteger.Abs(y) * t) - sigmaSquared; // (|y| - σ²/t)·t
            if (BernoulliExpMinus(source, gap * gap, denominator))
            {
                return y;
            }
        }
    }

    // Bernoulli(exp(-γ)) for γ in [0, 1]: K counts successes of Bernoulli(γ/1), Bernoulli(γ/2), ... until the first failure; exp(-γ) = P(K even).
    private static bool BernoulliExpMinusAtMostOne(NoiseSource source, BigInteger numerator, BigInteger denominator)
    {
        var k = 1;
        while (Bernoulli(source, numerator, denominator * k))
        {
            k++;
        }

        return k % 2 == 1;
    }
}
