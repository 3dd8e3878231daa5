namespace FedActors.Core.Privacy;

/// <summary>
/// Rényi differential privacy of one step of the sampled Gaussian mechanism: Mironov, Talwar and
/// Zhang, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", 2019, arXiv:1908.10530
/// (RDP itself: Mironov, "Rényi Differential Privacy", CSF 2017, arXiv:1702.07476).
/// </summary>
/// <remarks>
/// <para>
/// The mechanism: each record joins the batch independently with probability q (Poisson
/// sampling), the batch's sum of clipped contributions (L2 sensitivity C, adding or removing one
/// record) gets Gaussian noise N(0, σ²C²·I), σ the noise multiplier. Its RDP at order α &gt; 1 is
/// <c>ε(α) = log(A_α) / (α − 1)</c> with <c>A_α = E_{z∼μ0}[(μ(z)/μ0(z))^α]</c>,
/// μ0 = N(0, σ²), μ = (1 − q)·μ0 + q·N(1, σ²) (MTZ 2019, Theorem 4 and Section 3.3).
/// </para>
/// <para>
/// Integer α, by the binomial expansion (MTZ 2019, Section 3.3, eq. for integer α):
/// <c>A_α = Σ_{k=0..α} C(α,k)·(1−q)^(α−k)·q^k·exp((k² − k)/(2σ²))</c>.
/// </para>
/// <para>
/// Fractional α, by splitting the integral at <c>z0 = σ²·log(1/q − 1) + 1/2</c>, where μ0 and
/// μ1 cross over, and expanding each half as a binomial series (MTZ 2019, Section 3.3):
/// <c>A_α = Σ_{k≥0} C(α,k)·q^k·(1−q)^(α−k)·exp((k² − k)/(2σ²))·½·erfc((k − z0)/(√2σ))</c>
/// <c>    + Σ_{k≥0} C(α,k)·q^(α−k)·(1−q)^k·exp(((α−k)² − (α−k))/(2σ²))·½·erfc((z0 − (α−k))/(√2σ))</c>,
/// with C(α,k) = α(α−1)…(α−k+1)/k!, whose sign alternates once k &gt; α. Every term is
/// summed in log space (positive and negative terms apart) with <see cref="LogMath.LogErfc"/>.
/// The series stop once k &gt; α + 1, both terms shrink, and the larger is below 1e-16 of the
/// positive sum; past that point the series alternate with shrinking terms, so what is left
/// is smaller than the first term left out.
/// </para>
/// <para>q = 1 is the Gaussian mechanism itself: <c>ε(α) = α / (2σ²)</c>.</para>
/// </remarks>
public static class SampledGaussianRdp
{
    /// <summary>The most series terms a fractional order may take before the computation gives up.</summary>
    internal const int MaxTerms = 10_000_000;

    /// <summary>The RDP ε(α) of one step.</summary>
    /// <param name="samplingRate">q, in (0, 1].</param>
    /// <param name="noiseMultiplier">σ, the noise's standard deviation over the L2 sensitivity; &gt; 0 and finite.</param>
    /// <param name="order">α &gt; 1, finite.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public static double Compute(double samplingRate, double noiseMultiplier, double order)
    {
        Check(samplingRate, noiseMultiplier);
        if (!(order > 1.0) || double.IsInfinity(order))
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "the RDP order must be finite and above 1");
        }

        if (samplingRate == 1.0)
        {
            return order / (2.0 * noiseMultiplier * noiseMultiplier);
        }

        var logA = double.IsInteger(order) ? LogAInteger(samplingRate, noiseMultiplier, (int)order) : LogAFractional(samplingRate, noiseMultiplier, order);
        return logA / (order - 1.0);
    }

    /// <summary>Checks q and σ, naming the one out of range.</summary>
    internal static void Check(double samplingRate, double noiseMultiplier)
    {
        if (!(samplingRate > 0.0 && samplingRate <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(samplingRate), samplingRate, "the sampling rate must be in (0, 1]");
        }

        if (!(noiseMultiplier > 0.0) || double.IsInfinity(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "the noise multiplier must be above 0 and finite");
        }
    }

    private static double LogAInteger(double q, double sigma, int alpha)
    {
        var logQ = Math.Log(q);
        var log1MinusQ = LogMath.Log1P(-q);
        var twoSigmaSquared = 2.0 * sigma * sigma;
        var logA = double.NegativeInfinity;
        var logBinomial = 0.0;
        for (var k = 0; k <= alpha; k++)
        {
            if (k > 0)
            {
                logBinomial += Math.Log((double)(alpha - k + 1) / k);
            }

            var logTerm = logBinomial + (k * logQ) + ((alpha - k) * log1MinusQ) + (((double)k * k) - k) / twoSigmaSquared;
            logA = LogMath.LogAdd(logA, logTerm);
        }

        return logA;
    }

    private static double LogAFractional(double q, double sigma, double alpha)
    {
        var logQ = Math.Log(q);
        var log1MinusQ = LogMath.Log1P(-q);
        var twoSigmaSquared = 2.0 * sigma * sigma;
        var sqrt2Sigma = Math.Sqrt(2.0) * sigma;
        var z0 = (sigma * sigma * (log1MinusQ - logQ)) + 0.5;
        var logHalf = -Math.Log(2.0);

        var positive = double.NegativeInfinity;
        var negative = double.NegativeInfinity;
        var logBinomial = 0.0;
        var sign = 1;
        var previous = double.PositiveInfinity;
        for (var k = 0; k < MaxTerms; k++)
        {
            if (k > 0)
            {
                var factor = alpha - k + 1;
                logBinomial += Math.Log(Math.Abs(factor) / k);
                sign = factor < 0 ? -sign : sign;
            }

            var j = alpha - k;
            var lower = logBinomial + (k * logQ) + (j * log1MinusQ) + ((((double)k * k) - k) / twoSigmaSquared)
                + logHalf + LogMath.LogErfc((k - z0) / sqrt2Sigma);
            var upper = logBinomial + (j * logQ) + (k * log1MinusQ) + (((j * j) - j) / twoSigmaSquared)
                + logHalf + LogMath.LogErfc((z0 - j) / sqrt2Sigma);
            var larger = Math.Max(lower, upper);
            if (sign > 0)
            {
                positive = LogMath.LogAdd(positive, LogMath.LogAdd(lower, upper));
            }
            else
            {
                negative = LogMath.LogAdd(negative, LogMath.LogAdd(lower, upper));
            }

            if (k > alpha + 1 && larger < previous && larger < positive - 36.8)
            {
                return LogMath.LogSub(positive, negative);
            }

            previous = larger;
        }

        throw new ArgumentOutOfRangeException(
            nameof(alpha), alpha, $"the RDP series for q = {q:R}, noise multiplier {sigma:R} did not converge within {MaxTerms} terms at this order");
    }
}
