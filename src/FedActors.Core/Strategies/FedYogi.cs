namespace FedActors.Core.Strategies;

/// <summary>
/// FedYogi: Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar and McMahan, "Adaptive
/// Federated Optimization", ICLR 2021, arXiv:2003.00295 (Algorithm 2, the Yogi server of Zaheer
/// et al. 2018).
/// </summary>
/// <remarks>
/// <see cref="FedOpt"/>'s step with Yogi's additive second moment, which moves v towards Δ² by at
/// most (1 − β2)·Δ² a round: <c>Δ(t) = (1/|S|)·Σ_k (x_k − x(t))</c>,
/// <c>m(t) = β1·m(t−1) + (1 − β1)·Δ(t)</c>,
/// <c>v(t) = v(t−1) − (1 − β2)·Δ(t)²·sign(v(t−1) − Δ(t)²)</c>,
/// <c>x(t+1) = x(t) + η·m(t) / (sqrt(v(t)) + τ)</c>, with m(−1) = 0, v(−1) = τ² and sign(0) = 0.
/// The defaults are Flower's: β1 = 0.9 and β2 = 0.99 (the authors' code kept Keras's 0.9 and
/// 0.999), η = 0.01 (also the most frequent best value in the authors' published tuning) and
/// τ = 1e-3 (the value the authors recommend).
/// </remarks>
public sealed class FedYogi : FedOpt
{
    /// <summary>Creates the strategy with m = 0 and v = τ².</summary>
    /// <param name="serverLearningRate">η: finite and &gt; 0; 0.01 by default.</param>
    /// <param name="beta1">β1 in [0, 1); 0.9 by default.</param>
    /// <param name="beta2">β2 in [0, 1); 0.99 by default.</param>
    /// <param name="tau">τ: finite and &gt; 0; 1e-3 by default.</param>
    /// <param name="weighting">Uniform over the clients by default (Algorithm 2), or by sample count.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public FedYogi(double serverLearningRate = 0.01, double beta1 = 0.9, double beta2 = 0.99, double tau = 1e-3, ClientWeighting weighting = ClientWeighting.Uniform)
        : base(serverLearningRate, beta1, tau, weighting)
    {
        Beta2 = ServerOptimizerState.RequireDecay(beta2, nameof(beta2));
    }

    /// <inheritdoc />
    public override string Name => "fedyogi";

    /// <summary>β2, the second moment's rate.</summary>
    public double Beta2 { get; }

    /// <inheritdoc />
    protected override void SecondMoment(ReadOnlySpan<float> previous, ReadOnlySpan<float> deltaSquared, Span<float> destination) =>
        ServerOptimizers.YogiSecondMoment(previous, deltaSquared, (float)Beta2, destination);
}
