namespace FedActors.Core.Privacy;

/// <summary>
/// A discrete privacy loss distribution: the law of the privacy loss ℓ = log(A(x)/B(x)) for x ∼ A,
/// as masses on the grid ℓ = k·h plus a mass at +∞, for a pair of output distributions (A, B)
/// of a mechanism on two neighbouring datasets (Dwork and Rothblum 2016; Sommer, Meiser and
/// Mohammadi 2019, arXiv:1807.09173; Koskela, Jälkö and Honkela 2020, arXiv:1906.03049).
/// </summary>
/// <remarks>
/// <para>
/// δ(ε) = P(ℓ = ∞) + Σ_k p_k·(1 − e^(ε − k·h))₊ is the hockey-stick divergence of the pair, and
/// composing mechanisms adds their losses: the composed PMF is the convolution (computed by
/// FFT, <see cref="Fft"/>), with +∞ absorbing.
/// </para>
/// <para>
/// The grid masses come from the "connect the dots" rule (Doroshenko, Ghazi, Kamath, Kumar and
/// Manurangsi, "Connect the Dots: Tighter Discrete Approximations of Privacy Loss
/// Distributions", PETS 2022, arXiv:2207.04380): the A-mass p and B-mass r of the losses in
/// [a, a + h) go to the two ends with weights that keep both, w_a + w_b = p and
/// w_a·e^(−a) + w_b·e^(−a−h) = r. δ(ε) = E_A[(1 − e^ε·u)₊] with u = e^(−ℓ) is convex in u, so
/// spreading u to the ends (same mean) only raises δ, for every ε: the grid pair dominates the
/// true one, and so do their compositions. Tail masses are moved the pessimistic way: A-mass
/// above the grid to +∞, A-mass below it up to the lowest grid point, and after each
/// convolution the two tails below <see cref="TailMass"/> likewise. So δ(ε), and ε(δ), are
/// upper bounds, up to the floating-point rounding of the masses and the FFT (about 1e-15 per
/// grid point, not bounded rigorously here).
/// </para>
/// </remarks>
internal sealed class PrivacyLossDistribution
{
    /// <summary>
    /// The most grid points a distribution may take (about 2 million: each convolution then needs
    /// 128 MiB). Small noise spreads the loss wide (σ = 0.1 takes 1.3 million points for one step
    /// at h = 1e-4), and composition widens it further.
    /// </summary>
    public const long MaxPoints = 1 << 21;

    /// <summary>The mass each tail may hold before it is moved (to +∞ or up to the lowest point).</summary>
    public const double TailMass = 1e-15;

    // Standard normal quantile of TailMass / 2 (mpmath: Φ(−8.0749) = 5.0e-16), for the Gaussian's truncation.
    private const double TailSigmas = 8.0749;

    private PrivacyLossDistribution(double interval, long offset, double[] masses, double infinityMass)
    {
        Interval = interval;
        Offset = offset;
        Masses = masses;
        InfinityMass = infinityMass;
    }

    /// <summary>h, the grid's step.</summary>
    public double Interval { get; }

    /// <summary>The grid index of <see cref="Masses"/>[0]: it stands for the loss (Offset + i)·h.</summary>
    public long Offset { get; }

    /// <summary>The masses on the grid.</summary>
    public double[] Masses { get; }

    /// <summary>P(ℓ = +∞).</summary>
    public double InfinityMass { get; }

    /// <summary>
    /// One step of the Poisson-sampled Gaussian mechanism, sensitivity 1, noise σ, rate q in (0, 1],
    /// with μ = (1 − q)·N(0, σ²) + q·N(1, σ²) and ν = N(0, σ²): the pair (μ, ν) when a record is
    /// removed (<paramref name="remove"/>), (ν, μ) when one is added. L(x) = log(μ(x)/ν(x)) =
    /// log(1 − q + q·e^((2x − 1)/(2σ²))) rises with x; the loss is L(x) for x ∼ μ (remove) or
    /// −L(x) for x ∼ ν (add). The grid spans the losses of x in [−8.07σ, 1 + 8.07σ] (remove) or
    /// [−8.07σ, 8.07σ] (add), which hold all but 1e-15 of the mass; the rest is moved as the remarks say.
    /// </summary>
    public static PrivacyLossDistribution SampledGaussian(double q, double sigma, double interval, bool remove)
    {
        var log1MinusQ = LogMath.Log1P(-q);
        var logQ = Math.Log(q);
        double L(double x) => LogMath.LogAdd(log1MinusQ, logQ + (((2 * x) - 1) / (2 * sigma * sigma)));

        // L⁻¹(ℓ) = σ²·log((e^ℓ − (1 − q))/q) + 1/2, −∞ at or below log(1 − q).
        double Inverse(double loss) =>
            loss <= log1MinusQ ? double.NegativeInfinity : (sigma * sigma * (LogMath.LogSub(loss, log1MinusQ) - logQ)) + 0.5;

        // Masses of x in (x1, x2] under N(mean, σ²), from whichever tail keeps the digits; ν and μ.
        double Normal(double x1, double x2, double mean) => Math.Max(
            0, x1 - mean >= 0 ? LogMath.NormalCdf(-(x1 - mean) / sigma) - LogMath.NormalCdf(-(x2 - mean) / sigma) : LogMath.NormalCdf((x2 - mean) / sigma) - LogMath.NormalCdf((x1 - mean) / sigma));
        double Nu(double x1, double x2) => Normal(x1, x2, 0);
        double Mu(double x1, double x2) => ((1 - q) * Normal(x1, x2, 0)) + (q * Normal(x1, x2, 1));

        // (A-mass, B-mass) of the losses in [a, b).
        (double A, double B) Masses(double a, double b)
        {
            if (remove)
            {
                var (x1, x2) = (Inverse(a), Inverse(b));
                return (Mu(x1, x2), Nu(x1, x2));
            }

            var (y1, y2) = (Inverse(-b), Inverse(-a));
            return (Nu(y1, y2), Mu(y1, y2));
        }

        var (lowest, highest) = remove
            ? (L(-TailSigmas * sigma), L(1 + (TailSigmas * sigma)))
            : (-L(TailSigmas * sigma), -L(-TailSigmas * sigma));
        var first = (long)Math.Floor(lowest / interval);
        var last = (long)Math.Ceiling(highest / interval);
        if (last - first >= MaxPoints)
        {
            throw TooFine(last - first, interval);
        }

        var masses = new double[last - first + 1];
        var decay = Math.Exp(-interval);
        for (var k = first; k < last; k++)
        {
            var a = k * interval;
            var (pA, pB) = Masses(a, (k + 1) * interval);
            if (pA <= 0)
            {
                continue;
            }

            // w_a·e^(−a) + w_b·e^(−a−h) = pB with w_a + w_b = pA: t = w_a/pA = (pB·e^a/pA − e^(−h))/(1 − e^(−h)).
            var ratio = Math.Exp(a + Math.Log(pB) - Math.Log(pA));
            var t = Math.Clamp((ratio - decay) / -LogMath.ExpM1(-interval), 0.0, 1.0);
            masses[k - first] += pA * t;
            masses[k - first + 1] += pA * (1 - t);
        }

        // Losses below the grid are raised to its lowest point; those at or above its top go to +∞.
        masses[0] += Masses(double.NegativeInfinity, first * interval).A;
        var infinity = Masses(last * interval, double.PositiveInfinity).A;
        return new PrivacyLossDistribution(interval, first, masses, infinity).Trimmed();
    }

    /// <summary>The distribution of the sum of this loss and <paramref name="other"/>'s (independent): the composed pair's.</summary>
    public PrivacyLossDistribution Compose(PrivacyLossDistribution other)
    {
        if (Masses.Length + other.Masses.Length - 1 > MaxPoints)
        {
            throw TooFine(Masses.Length + other.Masses.Length - 1, Interval);
        }

        var masses = Fft.Convolve(Masses, other.Masses);
        var infinity = 1 - ((1 - InfinityMass) * (1 - other.InfinityMass));
        return new PrivacyLossDistribution(Interval, Offset + other.Offset, masses, infinity).Trimmed();
    }

    /// <summary>T-fold composition with itself, by squaring.</summary>
    public PrivacyLossDistribution SelfCompose(long times)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        PrivacyLossDistribution? result = null;
        var power = this;
        while (true)
        {
            if ((times & 1) == 1)
            {
                result = result is null ? power : result.Compose(power);
            }

            times >>= 1;
            if (times == 0)
            {
                return result!;
            }

            power = power.Compose(power);
        }
    }

    /// <summary>δ(ε) = P(∞) + Σ_k p_k·(1 − e^(ε − ℓ_k))₊.</summary>
    public double Delta(double epsilon)
    {
        var sum = InfinityMass;
        var start = Math.Max(0, (long)Math.Floor(epsilon / Interval) - Offset);
        for (var i = start; i < Masses.Length; i++)
        {
            var loss = (Offset + i) * Interval;
            if (loss > epsilon)
            {
                sum += Masses[i] * -LogMath.ExpM1(epsilon - loss);
            }
        }

        return sum;
    }

    /// <summary>The smallest ε ≥ 0 with δ(ε) ≤ δ (to 1e-9 absolute, rounded up); +∞ when P(∞) &gt; δ.</summary>
    public double Epsilon(double delta)
    {
        if (InfinityMass > delta)
        {
            return double.PositiveInfinity;
        }

        if (Delta(0) <= delta)
        {
            return 0;
        }

        var (low, high) = (0.0, Math.Max(Interval, (Offset + Masses.Length) * Interval));
        while (high - low > 1e-9)
        {
            var middle = 0.5 * (low + high);
            (low, high) = Delta(middle) <= delta ? (low, middle) : (middle, high);
        }

        return high;
    }

    private static InvalidOperationException TooFine(long points, double interval) =>
        new($"the privacy loss spreads over {points} points of a grid of {interval}, more than {MaxPoints}: use a coarser grid or the RDP accountant");

    // Moves the tails below TailMass: the top one to +∞, the bottom one up to the first point kept.
    private PrivacyLossDistribution Trimmed()
    {
        var (low, lowMass) = (0, 0.0);
        while (low < Masses.Length - 1 && lowMass + Masses[low] < TailMass)
        {
            lowMass += Masses[low++];
        }

        var (high, highMass) = (Masses.Length - 1, 0.0);
        while (high > low && highMass + Masses[high] < TailMass)
        {
            highMass += Masses[high--];
        }

        var kept = Masses[low..(high + 1)];
        kept[0] += lowMass;
        return new PrivacyLossDistribution(Interval, Offset + low, kept, InfinityMass + highMass);
    }
}
