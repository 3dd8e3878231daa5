namespace FedActors.Core.Privacy;

/// <summary>
/// The grid that discrete noise lives on: multiples of <see cref="Granularity"/>, a power of two,
/// and the noise's scale counted in grid steps.
/// </summary>
/// <remarks>
/// <para>
/// Why a grid (Mironov, "On Significance of the Least Significant Bits for Differential Privacy",
/// CCS 2012): textbook samplers draw a uniform double u and return −b·log(u) or a Box–Muller
/// value. Doubles are not reals: the set of values x + noise can take, and their probabilities,
/// depend on x in the last bits, so an observer can tell x from x' by the release alone (Mironov
/// shows whole outputs that one input can produce and its neighbour never can), and the ε of the
/// proof no longer holds, however large the noise.
/// </para>
/// <para>
/// What is done here instead: each value is first rounded to the nearest multiple of g (round half
/// to even), an integer k = x/g; the noise is g·Z with Z an integer drawn exactly from the discrete
/// Laplace or discrete Gaussian distribution by integer arithmetic on uniform bits
/// (<see cref="DiscreteSampler"/>, CKS20); the release is (k + Z)·g, computed exactly because
/// |k + Z| &lt; 2^53 is checked and g is a power of two. So the released vector has exactly the
/// distribution of the discrete mechanism on the grid: no floating-point artefact is left to leak.
/// Rounding moves two neighbouring inputs apart by at most g per coordinate, so each mechanism
/// adds g·d (L1) or g·√d (L2) to the sensitivity before it sizes the noise in steps; with
/// g ≤ scale·2^−28 the noise grows by a factor of at most 1 + 3.8e-9·d/ε (Laplace, d values)
/// or 1 + 3.8e-9·√d·σ/Δ2 (Gaussian), plus one step for rounding the scale up to whole steps.
/// </para>
/// <para>
/// What it does not do: hide running time (samplers take longer for larger noise), keep x's bits
/// below g (they are rounded away, which is the point), or check the sensitivity the caller
/// claims: clipping must make it hold.
/// </para>
/// </remarks>
/// <param name="Granularity">g, a power of two: every released value is a multiple of it.</param>
/// <param name="ScaleInSteps">The discrete noise's scale (t of Lap_Z(t), or σ of N_Z(0, σ²)) in multiples of g.</param>
public sealed record NoiseGrid(double Granularity, long ScaleInSteps)
{
    /// <summary>Grid steps below the scale: g = 2^(⌊log2 scale⌋ − 28).</summary>
    public const int StepsBits = 28;

    /// <summary>The noise scale actually used, <c>ScaleInSteps·Granularity</c>: at least the one asked for.</summary>
    public double Scale => ScaleInSteps * Granularity;

    /// <summary>g for a noise scale: the power of two 2^(⌊log2 scale⌋ − 28), so scale / g is in [2^28, 2^29).</summary>
    internal static double GranularityFor(double scale) => Math.ScaleB(1.0, Math.ILogB(scale) - StepsBits);

    /// <summary>Rounds each value to the grid and adds g·draw(), exactly.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or too large for the grid (|x| ≥ 2^52·g).</exception>
    internal void AddTo(Span<double> values, Func<long> draw)
    {
        const double Limit = 4503599627370496.0; // 2^52
        for (var i = 0; i < values.Length; i++)
        {
            var k = Math.Round(values[i] / Granularity, MidpointRounding.ToEven);
            if (!(Math.Abs(k) < Limit))
            {
                throw new ArgumentOutOfRangeException(nameof(values), values[i], $"value {i} is not finite or too large for a noise grid of step {Granularity:R} (|x| must be below 2^52 steps, about 2^24 noise scales)");
            }

            var z = draw();
            if (Math.Abs(z) >= Limit)
            {
                throw new InvalidOperationException("the noise drawn is too large to add exactly; this happens with probability far below 2^-1000");
            }

            values[i] = (k + z) * Granularity;
        }
    }
}
