namespace FedActors.Core.Strategies;

/// <summary>
/// FedAdam: Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar and McMahan, "Adaptive
/// Federated Optimization", ICLR 2021, arXiv:2003.00295 (Algorithm 2, the Adam server).
/// </summary>
/// <remarks>
/// <see cref="FedOpt"/>'s step with Adam's exponentially averaged second moment:
/// <c>Δ(t) = (1/|S|)·Σ_k (x_k − x(t))</c>, <c>m(t) = β1·m(t−1) + (1 − β1)·Δ(t)</c>,
/// <c>v(t) = β2·v(t−1) + (1 − β2)·Δ(t)²</c>, <c>x(t+1) = x(t) + η·m(t) / (sqrt(v(t)) + τ)</c>,
/// with m(−1) = 0 and v(−1) = τ², and no bias correction, as published. With bias correction
/// on, the step at round t (counting from 1) uses Kingma and Ba's corrected moments,
/// <c>m̂ = m(t) / (1 − β1^t)</c> and <c>v̂ = v(t) / (1 − β2^t)</c>:
/// <c>x(t+1) = x(t) + η·m̂ / (sqrt(v̂) + τ)</c> (Flower folds the correction into η alone,
/// which differs by where τ sits). The defaults are Flower's β1 = 0.9 and β2 = 0.99 (the
/// authors' code kept Keras's 0.9 and 0.999), η = 0.01 (the most frequent best value in the
/// authors' published tuning; Flower uses 0.1) and the authors' recommended τ = 1e-3.
/// </remarks>
public sealed class FedAdam : FedOpt
{
    /// <summary>Creates the strategy with m = 0 and v = τ².</summary>
    /// <param name="serverLearningRate">η: finite and &gt; 0; 0.01 by default.</param>
    /// <param name="beta1">β1 in [0, 1); 0.9 by default.</param>
    /// <param name="beta2">β2 in [0, 1); 0.99 by default.</param>
    /// <param name="tau">τ: finite and &gt; 0; 1e-3 by default.</param>
    /// <param name="biasCorrection">Correct m and v by 1/(1 − β^t); off by default, as published.</param>
    /// <param name="weighting">Uniform over the clients by default (Algorithm 2), or by sample count.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public FedAdam(double serverLearningRate = 0.01, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3, bool biasCorrection = false, ClientWeighting weighting = ClientWeighting.Uniform)
        : base(serverLearningRate, beta1, tau, weighting)
    {
        Beta2 = ServerOptimizerState.RequireDecay(beta2, nameof(beta2));
        BiasCorrection = biasCorrection;
    }

    /// <inheritdoc />
    public override string Name => "fedadam";

    /// <summary>β2, the second moment's decay.</summary>
    public double Beta2 { get; }

    /// <summary>True when the moments are bias-corrected.</summary>
    public bool BiasCorrection { get; }

    /// <inheritdoc />
    protected override void SecondMoment(ReadOnlySpan<float> previous, ReadOnlySpan<float> deltaSquared, Span<float> destination) =>
        ServerOptimizers.AdamSecondMoment(previous, deltaSquared, (float)Beta2, destination);

    /// <inheritdoc />
    protected override (double FirstMoment, double SecondMoment) MomentCorrection(int step) => BiasCorrection
        ? (1 / (1 - Math.Pow(Beta1, step)), 1 / (1 - Math.Pow(Beta2, step)))
        : (1, 1);
}
