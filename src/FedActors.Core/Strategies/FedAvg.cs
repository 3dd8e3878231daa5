using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Federated Averaging (FedAvg): McMahan, Moore, Ramage, Hampson and Agüera y Arcas,
/// "Communication-Efficient Learning of Deep Networks from Decentralized Data", AISTATS 2017,
/// arXiv:1602.05629.
/// </summary>
/// <remarks>
/// Each sampled client k runs E local epochs of SGD from the global model w(t) on its n_k
/// samples and returns w_k(t+1). The server sets
/// <c>w(t+1) = Σ_k (n_k / n) · w_k(t+1)</c>, with <c>n = Σ_k n_k</c> over the clients whose
/// update arrived. Clients receive the configured training settings unchanged.
/// </remarks>
public sealed class FedAvg : IStrategy
{
    /// <inheritdoc />
    public string Name => "fedavg";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(Aggregation.SampleWeightedMean(global, updates));
}
