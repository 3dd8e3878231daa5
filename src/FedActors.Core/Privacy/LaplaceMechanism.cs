namespace FedActors.Core.Privacy;

/// <summary>
/// The Laplace mechanism: Dwork, McSherry, Nissim and Smith, "Calibrating Noise to Sensitivity in
/// Private Data Analysis", TCC 2006; Dwork and Roth, "The Algorithmic Foundations of Differential
/// Privacy", 2014, Theorem 3.6.
/// </summary>
/// <remarks>
/// <para>
/// Sensitivity assumption: for any two neighbouring datasets the query's output vectors differ by
/// at most Δ1 in L1 norm, <c>‖f(D) − f(D')‖₁ ≤ Δ1</c> (for a clipped sum: the clip norm in L1).
/// Then f(D) + Lap(b)^d with <c>b = Δ1 / ε</c> is ε-differentially private (pure DP, δ = 0).
/// </para>
/// <para>
/// <see cref="Randomise"/> draws the discrete Laplace distribution on a grid (see
/// <see cref="NoiseGrid"/>): scale t steps of g with <c>t = ⌈(Δ1/g + d)/ε⌉</c>, so that the
/// rounded values' L1 sensitivity, at most Δ1/g + d steps, gives privacy loss at most ε: the
/// released vector is exactly ε-DP for the L1 sensitivity Δ1 (the discrete Laplace's loss is
/// |shift|/t, Canonne, Kamath and Steinke 2020, arXiv:2004.00010).
/// </para>
/// </remarks>
public sealed class LaplaceMechanism
{
    /// <summary>A mechanism for L1 sensitivity Δ1 &gt; 0 and privacy ε &gt; 0 (both finite).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Δ1 or ε is not positive and finite.</exception>
    public LaplaceMechanism(double l1Sensitivity, double epsilon)
    {
        Scale = ScaleFor(l1Sensitivity, epsilon);
        L1Sensitivity = l1Sensitivity;
        Epsilon = epsilon;
    }

    /// <summary>Δ1.</summary>
    public double L1Sensitivity { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>The Laplace scale b = Δ1 / ε (standard deviation √2·b).</summary>
    public double Scale { get; }

    /// <summary>b = Δ1 / ε.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Δ1 or ε is not positive and finite.</exception>
    public static double ScaleFor(double l1Sensitivity, double epsilon)
    {
        Positive(l1Sensitivity, nameof(l1Sensitivity));
        Positive(epsilon, nameof(epsilon));
        return l1Sensitivity / epsilon;
    }

    /// <summary>Adds the noise to <paramref name="values"/> in place (see the remarks) and says which grid it used.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is not finite or too large for the grid.</exception>
    public NoiseGrid Randomise(Span<double> values, NoiseSource source)
    {
        var g = NoiseGrid.GranularityFor(Scale);
        var steps = (long)Math.Ceiling(((L1Sensitivity / g) + values.Length) / Epsilon);
        var grid = new NoiseGrid(g, steps);
        grid.AddTo(values, () => DiscreteSampler.DiscreteLaplace(source, steps));
        return grid;
    }

    internal static void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be above 0 and finite");
        }
    }
}
