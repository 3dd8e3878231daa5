using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// FedProx: Li, Sahu, Zaheer, Sanjabi, Talwalkar and Smith, "Federated Optimization in
/// Heterogeneous Networks", MLSys 2020, arXiv:1812.06127.
/// </summary>
/// <remarks>
/// Client k minimises its local loss plus a proximal term,
/// <c>h_k(w) = F_k(w) + (μ/2)·‖w − w(t)‖²</c>, so each local step follows
/// <c>∇F_k(w) + μ·(w − w(t))</c> (the client part, <see cref="LocalObjective"/>); the server
/// aggregates as FedAvg, <c>w(t+1) = Σ_k (n_k / n)·w_k(t+1)</c>, streaming as FedAvg does. With μ = 0 it is FedAvg.
/// </remarks>
/// <param name="mu">The proximal coefficient μ (&gt;= 0; the paper tries 0.001 to 1).</param>
public sealed class FedProx(double mu) : IStrategy
{
    /// <summary>The hyperparameter that carries μ to the clients.</summary>
    public const string MuKey = "fedprox.mu";

    /// <summary>The proximal coefficient.</summary>
    public double Mu { get; } = mu >= 0 && double.IsFinite(mu) ? mu : throw new ArgumentOutOfRangeException(nameof(mu), mu, "mu must be a number >= 0");

    /// <inheritdoc />
    public string Name => "fedprox";

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<Protocol.ClientId> sampled, FitConfig baseConfig) =>
        FitPlan.Same(new FitInstructions(baseConfig with { Hyperparameters = baseConfig.Hyperparameters.SetItem(MuKey, Mu) }, NamedTensors.Empty));

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(Aggregation.SampleWeightedMean(global, updates, ParameterBufferPool.Shared));

    /// <inheritdoc />
    public IUpdateAccumulator? StartAccumulating(StrategyContext context, Parameters global) =>
        new WeightedMeanAccumulator(global.Layout, ParameterBufferPool.Shared);
}
