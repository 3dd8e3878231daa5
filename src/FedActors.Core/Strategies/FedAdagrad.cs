namespace FedActors.Core.Strategies;

/// <summary>
/// FedAdagrad: Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar and McMahan, "Adaptive
/// Federated Optimization", ICLR 2021, arXiv:2003.00295 (Algorithm 2, the Adagrad server).
/// </summary>
/// <remarks>
/// <see cref="FedOpt"/>'s step with the second moment a running sum:
/// <c>Δ(t) = (1/|S|)·Σ_k (x_k − x(t))</c>, <c>m(t) = β1·m(t−1) + (1 − β1)·Δ(t)</c>,
/// <c>v(t) = v(t−1) + Δ(t)²</c>, <c>x(t+1) = x(t) + η·m(t) / (sqrt(v(t)) + τ)</c>,
/// with m(−1) = 0 and v(−1) = τ². The defaults are Flower's β1 = 0 (the authors' experiment code used
/// Keras's Adagrad, which has no momentum), η = 0.1 (Flower's, and among the paper's best per-task values) and
/// the paper authors' recommended τ = 1e-3.
/// </remarks>
public sealed class FedAdagrad : FedOpt
{
    /// <summary>Creates the strategy with m = 0 and v = τ².</summary>
    /// <param name="serverLearningRate">η: finite and &gt; 0; 0.1 by default.</param>
    /// <param name="beta1">β1 in [0, 1); 0 by default (no momentum).</param>
    /// <param name="tau">τ: finite and &gt; 0; 1e-3 by default.</param>
    /// <param name="weighting">Uniform over the clients by default (Algorithm 2), or by sample count.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public FedAdagrad(double serverLearningRate = 0.1, double beta1 = 0.0, double tau = 1e-3, ClientWeighting weighting = ClientWeighting.Uniform)
        : base(serverLearningRate, beta1, tau, weighting)
    {
    }

    /// <inheritdoc />
    public override string Name => "fedadagrad";

    /// <inheritdoc />
    protected override void SecondMoment(ReadOnlySpan<float> previous, ReadOnlySpan<float> deltaSquared, Span<float> destination) =>
        ServerOptimizers.AdagradSecondMoment(previous, deltaSquared, destination);
}
