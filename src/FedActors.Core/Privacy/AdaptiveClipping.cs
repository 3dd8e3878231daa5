namespace FedActors.Core.Privacy;

/// <summary>
/// Quantile-based adaptive clipping: Andrew, Thakkar, McMahan and Ramaswamy, "Differentially
/// Private Learning with Adaptive Clipping", NeurIPS 2021, arXiv:1905.03871 (Algorithm 1 with
/// the geometric update), as pure functions.
/// </summary>
/// <remarks>
/// <para>
/// Each round, client k reports b_k = 1 when its update's norm is at most the current C (it was
/// NOT clipped), else 0. The server releases the noised unclipped share
/// <c>b̄ = (Σ_k (b_k − ½) + N(0, σ_b²)) / m + ½</c>, clamped to [0, 1], where m = q·N is the
/// expected number of clients, and moves C geometrically towards the γ-quantile of the norms:
/// <c>C ← C·exp(−η_C·(b̄ − γ))</c>. So C shrinks when more than the target share γ went
/// unclipped and grows when too many were clipped (counting the clipped updates instead, as one
/// popular framework does, moves C the wrong way).
/// </para>
/// <para>
/// Centring b_k at ½ halves the count's sensitivity to ½ (one client moves Σ(b_k − ½) by at
/// most ½), which is where the factor 2 below comes from; dividing by the fixed m (not the
/// number that arrived) keeps the sensitivity fixed, and b̄ is unbiased when m clients arrive.
/// The count and the sum of clipped updates are released together, one Gaussian mechanism on
/// their concatenation: with noise z_Δ·C on the sum (sensitivity C) and σ_b on the count
/// (sensitivity ½), its noise multiplier z satisfies <c>z^−2 = z_Δ^−2 + (2σ_b)^−2</c>. The
/// accountant accounts z, the configured total, and the update gets
/// <c>z_Δ = (z^−2 − (2σ_b)^−2)^(−1/2)</c> (<see cref="UpdateNoiseMultiplier"/>), which exists only
/// when z &lt; 2σ_b. The paper's σ_b is m/20.
/// </para>
/// </remarks>
public static class AdaptiveClipping
{
    /// <summary>The count's L2 sensitivity after centring each b_k at ½.</summary>
    public const double CountSensitivity = 0.5;

    /// <summary>z_Δ = (z^−2 − (2σ_b)^−2)^(−1/2): the update's share of the total noise multiplier z.</summary>
    /// <param name="total">z &gt; 0, the noise multiplier the accountant composes.</param>
    /// <param name="clipCountStddev">σ_b &gt; 0.</param>
    /// <exception cref="ArgumentException">z^−2 ≤ (2σ_b)^−2 (z ≥ 2σ_b): the count alone would spend the whole budget of z; the message gives the numbers.</exception>
    public static double UpdateNoiseMultiplier(double total, double clipCountStddev)
    {
        LaplaceMechanism.Positive(total, nameof(total));
        LaplaceMechanism.Positive(clipCountStddev, nameof(clipCountStddev));
        var remaining = (1 / (total * total)) - (1 / (4 * clipCountStddev * clipCountStddev));
        return remaining > 0
            ? 1 / Math.Sqrt(remaining)
            : throw new ArgumentException(
                FormattableString.Invariant($"z^-2 = {1 / (total * total):G6} is not above (2 sigma_b)^-2 = {1 / (4 * clipCountStddev * clipCountStddev):G6} (z = {total:G6}, sigma_b = {clipCountStddev:G6}): ") +
                "z_delta = (z^-2 - (2 sigma_b)^-2)^(-1/2) does not exist; raise the clip-count noise above z/2 or lower the noise multiplier");
    }

    /// <summary>b̄ = (centred count + its noise) / m + ½, clamped to [0, 1].</summary>
    /// <param name="noisedCentredCount">Σ_k (b_k − ½) plus N(0, σ_b²).</param>
    /// <param name="expectedClients">m = q·N &gt; 0.</param>
    public static double UnclippedShare(double noisedCentredCount, double expectedClients) =>
        Math.Clamp((noisedCentredCount / expectedClients) + 0.5, 0, 1);

    /// <summary>The geometric update <c>C·exp(−η_C·(b̄ − γ))</c>.</summary>
    /// <param name="clip">The current C.</param>
    /// <param name="unclippedShare">b̄, the (noised) share of updates that were not clipped.</param>
    /// <param name="targetQuantile">γ.</param>
    /// <param name="learningRate">η_C.</param>
    public static double NextClip(double clip, double unclippedShare, double targetQuantile, double learningRate) =>
        clip * Math.Exp(-learningRate * (unclippedShare - targetQuantile));
}
