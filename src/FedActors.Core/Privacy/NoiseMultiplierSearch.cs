namespace FedActors.Core.Privacy;

/// <summary>
/// The smallest noise multiplier σ whose sampled Gaussian mechanism, run for T steps at rate
/// q, stays within a target (ε, δ) under the RDP accountant.
/// </summary>
/// <remarks>
/// ε(σ) does not increase with σ at any order (more noise is post-processing), so a bisection
/// finds the threshold: σ doubles from 1 until ε(σ) ≤ target, then the interval
/// [σ_low, σ_high] with ε(σ_low) &gt; target ≥ ε(σ_high) halves until
/// <c>σ_high − σ_low ≤ 1e-7·σ_high</c>. The answer is σ_high: it always meets the target,
/// and is within 1e-7 (relative) of the smallest σ that does. A target at or below
/// <see cref="RdpAccountant.EpsilonFloor"/> (ε with every RDP at 0: about 0.10 for δ = 1e-5
/// over the default orders, improved conversion) cannot be met by any noise.
/// </remarks>
public static class NoiseMultiplierSearch
{
    /// <summary>The relative width at which the bisection stops.</summary>
    public const double RelativePrecision = 1e-7;

    /// <summary>Finds σ (see the remarks).</summary>
    /// <param name="targetEpsilon">ε to stay within; above the floor.</param>
    /// <param name="samplingRate">q, in (0, 1].</param>
    /// <param name="steps">T ≥ 1.</param>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">The RDP-to-(ε, δ) conversion.</param>
    /// <param name="accountant">The empty accountant whose orders to use; <see cref="RdpAccountant.Empty"/> by default.</param>
    /// <returns>σ and the guarantee it gives.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range, or the target is one no noise can meet (<c>targetEpsilon</c>).</exception>
    public static (double NoiseMultiplier, PrivacySpent Spent) Find(
        double targetEpsilon, double samplingRate, long steps, double delta, RdpConversion conversion = RdpConversion.Improved, RdpAccountant? accountant = null)
    {
        var empty = accountant ?? RdpAccountant.Empty;
        var floor = empty.EpsilonFloor(delta, conversion);
        if (!(targetEpsilon > floor) || double.IsInfinity(targetEpsilon))
        {
            throw new ArgumentOutOfRangeException(
                nameof(targetEpsilon), targetEpsilon, $"no noise multiplier reaches an epsilon of {targetEpsilon} at delta {delta}: the least any noise gives over these orders is {floor:G6}");
        }

        PrivacySpent At(double sigma) => empty.Compose(samplingRate, sigma, steps).GetPrivacySpent(delta, conversion);

        var low = 0.0;
        var high = 1.0;
        var spent = At(high);
        while (spent.Epsilon > targetEpsilon)
        {
            low = high;
            high *= 2;
            spent = At(high);
        }

        while (high - low > RelativePrecision * high)
        {
            var middle = 0.5 * (low + high);
            var atMiddle = At(middle);
            if (atMiddle.Epsilon <= targetEpsilon)
            {
                (high, spent) = (middle, atMiddle);
            }
            else
            {
                low = middle;
            }
        }

        return (high, spent);
    }
}
