using System.Collections.Immutable;

namespace FedActors.Core.Privacy;

/// <summary>
/// A privacy-loss-distribution accountant for the Poisson-sampled Gaussian mechanism, the second
/// choice beside <see cref="RdpAccountant"/>: it composes the privacy loss distributions
/// themselves (Koskela, Jälkö and Honkela 2020, arXiv:1906.03049; as Google's dp_accounting
/// does) instead of bounding them through Rényi divergences, so at the same settings its ε is
/// smaller, and it is an upper bound as well.
/// </summary>
/// <remarks>
/// <para>
/// An immutable value holding the history of (q, σ, steps); <see cref="GetEpsilon"/> builds each
/// setting's one-step distribution on a grid of step h (<see cref="Interval"/>, 1e-4 by default)
/// by the "connect the dots" rule (Doroshenko et al. 2022, arXiv:2207.04380), composes them by
/// FFT (T steps by squaring), for the removal and the addition of a record alike, and returns the
/// smallest ε with <c>max(δ_remove(ε), δ_add(ε)) ≤ δ</c> (see <c>PrivacyLossDistribution</c> for
/// why each step keeps it an upper bound).
/// </para>
/// <para>
/// Cost: a one-step grid has about (loss range)/h points (27,000 for q = 0.04, σ = 1.5), and the
/// composed one grows with √T; each squaring is one FFT convolution. A coarser h is faster and
/// looser (the bound stays valid). The floating-point error of the FFT is not bounded rigorously.
/// </para>
/// </remarks>
public sealed class PldAccountant
{
    /// <summary>The default grid step h of the privacy loss.</summary>
    public const double DefaultInterval = 1e-4;

    /// <summary>
    /// The grid steps to try in turn, finest first: when the composed loss spreads over more points
    /// than a grid can hold, the next, coarser one still bounds ε from above, only more loosely.
    /// </summary>
    public static IReadOnlyList<double> IntervalLadder { get; } = [DefaultInterval, 1e-3, 1e-2];

    private PldAccountant(double interval, ImmutableList<(double SamplingRate, double NoiseMultiplier, long Steps)> history)
    {
        Interval = interval;
        History = history;
    }

    /// <summary>The grid step h.</summary>
    public double Interval { get; }

    /// <summary>The settings composed so far, in order.</summary>
    public ImmutableList<(double SamplingRate, double NoiseMultiplier, long Steps)> History { get; }

    /// <summary>An accountant with no steps, on a grid of step <paramref name="interval"/> (in (0, 0.1]).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The interval is out of range.</exception>
    public static PldAccountant Create(double interval = DefaultInterval)
    {
        if (!(interval > 0 && interval <= 0.1))
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "the loss grid's step must be in (0, 0.1]");
        }

        return new PldAccountant(interval, []);
    }

    /// <summary>This accountant after <paramref name="steps"/> more steps at rate q and noise multiplier σ.</summary>
    /// <exception cref="ArgumentOutOfRangeException">q outside (0, 1], σ not positive and finite, or steps &lt; 1.</exception>
    public PldAccountant Compose(double samplingRate, double noiseMultiplier, long steps = 1)
    {
        SampledGaussianRdp.Check(samplingRate, noiseMultiplier);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        return new PldAccountant(Interval, History.Add((samplingRate, noiseMultiplier, steps)));
    }

    /// <summary>The smallest ε for which the steps so far are (ε, δ)-DP by the composed distributions (0 with no steps).</summary>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1).</exception>
    /// <exception cref="InvalidOperationException">The loss spreads over more grid points than <c>PrivacyLossDistribution.MaxPoints</c> (small noise, many steps): a coarser grid may do.</exception>
    public double GetEpsilon(double delta)
    {
        if (!(delta > 0 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be in (0, 1)");
        }

        if (History.IsEmpty)
        {
            return 0;
        }

        return new[] { true, false }.Max(remove => History
            .Select(h => PrivacyLossDistribution.SampledGaussian(h.SamplingRate, h.NoiseMultiplier, Interval, remove).SelfCompose(h.Steps))
            .Aggregate((a, b) => a.Compose(b))
            .Epsilon(delta));
    }
}
