namespace FedActors.Core.Privacy;

/// <summary>
/// The Gaussian mechanism and its two calibrations: the classic one of Dwork and Roth, "The
/// Algorithmic Foundations of Differential Privacy", 2014, Theorem A.1, and the analytic one of
/// Balle and Wang, "Improving the Gaussian Mechanism for Differential Privacy: Analytical
/// Calibration and Optimal Denoising", ICML 2018, arXiv:1805.06530.
/// </summary>
/// <remarks>
/// <para>
/// Sensitivity assumption: neighbouring datasets' output vectors differ by at most Δ2 in L2 norm,
/// <c>‖f(D) − f(D')‖₂ ≤ Δ2</c> (for a sum of updates clipped to norm C: Δ2 = C when one record is
/// added or removed). The release is f(D) + N(0, σ²·I).
/// </para>
/// <para>
/// Classic (<see cref="ClassicSigma"/>): <c>σ = Δ2·√(2·ln(1.25/δ)) / ε</c>, proven only for
/// 0 &lt; ε &lt; 1. (Not σ = Δ/ε: that is the Laplace scale, and gives no (ε, δ) guarantee here.)
/// </para>
/// <para>
/// Analytic (<see cref="AnalyticSigma"/>), for any ε &gt; 0: the mechanism is (ε, δ)-DP if and only if
/// <c>δ ≥ Φ(Δ2/(2σ) − εσ/Δ2) − e^ε·Φ(−Δ2/(2σ) − εσ/Δ2)</c> (Balle and Wang, Theorem 8;
/// <see cref="Delta"/>), and the smallest such σ comes from their Algorithm 1: with
/// δ0 = Φ(0) − e^ε·Φ(−√(2ε)), if δ ≥ δ0, v* = sup{v ≥ 0 : Φ(√(εv)) − e^ε·Φ(−√(ε(v+2))) ≤ δ} and
/// α = √(1 + v*/2) − √(v*/2); otherwise u* = inf{u ≥ 0 : Φ(−√(εu)) − e^ε·Φ(−√(ε(u+2))) ≤ δ} and
/// α = √(1 + u*/2) + √(u*/2); then <c>σ = α·Δ2 / √(2ε)</c>. v* or u* is found by bisection (to
/// the last bit), every Φ in log space, so large ε and small δ neither overflow nor cancel.
/// </para>
/// <para>
/// <see cref="Randomise"/> draws the discrete Gaussian on a grid (<see cref="NoiseGrid"/>): σ_Z
/// whole steps of g with <c>σ_Z = ⌈σ·(Δ2 + g·√d)/(Δ2·g)⌉</c>, so that the rounded values' L2
/// sensitivity over σ_Z is at most Δ2/σ. What that guarantees: for an integer shift μ the
/// discrete Gaussian's Rényi divergence of order α is at most α·μ²/(2σ_Z²), as for the continuous
/// one (Canonne, Kamath and Steinke 2020, arXiv:2004.00010, Section 2: ½(Δ/σ)²-concentrated DP),
/// and independent coordinates add up, so the release has RDP α·Δ2²/(2σ²) at every order α
/// (ρ-zCDP with ρ = Δ2²/(2σ²)), hence (ε, δ) by either <see cref="RdpConversion"/>. What it does
/// not: the continuous Gaussian's exact (ε, δ) curve behind the analytic calibration, and the
/// sampled-Gaussian RDP of <see cref="SampledGaussianRdp"/>, are proven for continuous noise;
/// CKS20 show the discrete curve approaching the continuous one as σ grows in grid steps (here
/// σ_Z ≥ 2^28), but this code claims only the RDP bound above for the discrete noise.
/// </para>
/// </remarks>
public sealed class GaussianMechanism
{
    /// <summary>A mechanism adding N(0, σ²) for L2 sensitivity Δ2 (both &gt; 0 and finite).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Δ2 or σ is not positive and finite.</exception>
    public GaussianMechanism(double l2Sensitivity, double sigma)
    {
        LaplaceMechanism.Positive(l2Sensitivity, nameof(l2Sensitivity));
        LaplaceMechanism.Positive(sigma, nameof(sigma));
        L2Sensitivity = l2Sensitivity;
        Sigma = sigma;
    }

    /// <summary>Δ2.</summary>
    public double L2Sensitivity { get; }

    /// <summary>σ, the noise's standard deviation.</summary>
    public double Sigma { get; }

    /// <summary>The classic calibration <c>σ = Δ2·√(2·ln(1.25/δ)) / ε</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">ε not in (0, 1), where the theorem holds; δ not in (0, 1); Δ2 not positive.</exception>
    public static double ClassicSigma(double l2Sensitivity, double epsilon, double delta)
    {
        LaplaceMechanism.Positive(l2Sensitivity, nameof(l2Sensitivity));
        if (!(epsilon > 0 && epsilon < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "the classic Gaussian calibration holds only for epsilon in (0, 1); use AnalyticSigma");
        }

        CheckDelta(delta);
        return l2Sensitivity * Math.Sqrt(2 * Math.Log(1.25 / delta)) / epsilon;
    }

    /// <summary>The analytic calibration: the smallest σ for which the mechanism is (ε, δ)-DP (Balle and Wang 2018, Algorithm 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Δ2 or ε not positive and finite, or δ not in (0, 1).</exception>
    public static double AnalyticSigma(double l2Sensitivity, double epsilon, double delta)
    {
        LaplaceMechanism.Positive(l2Sensitivity, nameof(l2Sensitivity));
        LaplaceMechanism.Positive(epsilon, nameof(epsilon));
        CheckDelta(delta);
        var logDelta = Math.Log(delta);

        // log(Φ(a) − e^ε·Φ(b)), −∞ when it is not positive.
        double LogB(double a, double b)
        {
            var (plus, minus) = (LogMath.LogNormalCdf(a), epsilon + LogMath.LogNormalCdf(b));
            return plus > minus ? LogMath.LogSub(plus, minus) : double.NegativeInfinity;
        }

        double alpha;
        if (logDelta >= LogB(0, -Math.Sqrt(2 * epsilon)))
        {
            // B+(v) grows with v: the largest v with B+(v) ≤ δ.
            var v = Boundary(v => LogB(Math.Sqrt(epsilon * v), -Math.Sqrt(epsilon * (v + 2))) <= logDelta, largest: true);
            alpha = Math.Sqrt(1 + (v / 2)) - Math.Sqrt(v / 2);
        }
        else
        {
            // B−(u) falls with u: the smallest u with B−(u) ≤ δ.
            var u = Boundary(u => LogB(-Math.Sqrt(epsilon * u), -Math.Sqrt(epsilon * (u + 2))) <= logDelta, largest: false);
            alpha = Math.Sqrt(1 + (u / 2)) + Math.Sqrt(u / 2);
        }

        return alpha * l2Sensitivity / Math.Sqrt(2 * epsilon);
    }

    /// <summary>The exact δ at which the Gaussian mechanism with σ is (ε, δ)-DP (Balle and Wang 2018, Theorem 8).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An argument is not positive and finite (ε may be 0).</exception>
    public static double Delta(double l2Sensitivity, double sigma, double epsilon)
    {
        LaplaceMechanism.Positive(l2Sensitivity, nameof(l2Sensitivity));
        LaplaceMechanism.Positive(sigma, nameof(sigma));
        if (!(epsilon >= 0) || double.IsInfinity(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be at least 0 and finite");
        }

        var (a, b) = ((l2Sensitivity / (2 * sigma)) - (epsilon * sigma / l2Sensitivity), (-l2Sensitivity / (2 * sigma)) - (epsilon * sigma / l2Sensitivity));
        var (plus, minus) = (LogMath.LogNormalCdf(a), epsilon + LogMath.LogNormalCdf(b));
        return plus > minus ? Math.Exp(LogMath.LogSub(plus, minus)) : 0.0;
    }

    /// <summary>
    /// The exact ε at which the Gaussian mechanism with σ is (ε, δ)-DP: the smallest ε ≥ 0 with
    /// <see cref="Delta"/>(Δ2, σ, ε) ≤ δ (δ(ε) falls with ε), found by doubling then bisection to
    /// adjacent doubles and rounded up, so the value returned always meets δ.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Δ2 or σ not positive and finite, or δ not in (0, 1).</exception>
    public static double Epsilon(double l2Sensitivity, double sigma, double delta)
    {
        LaplaceMechanism.Positive(l2Sensitivity, nameof(l2Sensitivity));
        LaplaceMechanism.Positive(sigma, nameof(sigma));
        CheckDelta(delta);
        return Delta(l2Sensitivity, sigma, 0) <= delta ? 0.0 : Boundary(e => Delta(l2Sensitivity, sigma, e) <= delta, largest: false);
    }

    /// <summary>Adds the noise to <paramref name="values"/> in place (see the remarks) and says which grid it used.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or too large for the grid.</exception>
    public NoiseGrid Randomise(Span<double> values, NoiseSource source)
    {
        var g = NoiseGrid.GranularityFor(Sigma);
        var steps = (long)Math.Ceiling(Sigma * (L2Sensitivity + (g * Math.Sqrt(values.Length))) / (L2Sensitivity * g));
        var grid = new NoiseGrid(g, steps);
        grid.AddTo(values, () => DiscreteSampler.DiscreteGaussian(source, steps));
        return grid;
    }

    private static void CheckDelta(double delta)
    {
        if (!(delta > 0 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be in (0, 1)");
        }
    }

    // The boundary of {x ≥ 0 : holds(x)}, an interval [0, x*] (largest) or [x*, ∞) (smallest): doubling, then bisection to adjacent doubles.
    private static double Boundary(Func<double, bool> holds, bool largest)
    {
        bool Inside(double x) => largest ? holds(x) : !holds(x);
        var (low, high) = (0.0, 1.0);
        while (Inside(high))
        {
            (low, high) = (high, 2 * high);
        }

        while (true)
        {
            var middle = 0.5 * (low + high);
            if (middle <= low || middle >= high)
            {
                return largest ? low : high;
            }

            (low, high) = Inside(middle) ? (middle, high) : (low, middle);
        }
    }
}
