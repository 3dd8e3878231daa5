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
/// <para>
/// The mean is exact in 64-bit fixed point (<see cref="FixedPointSum"/>: within 2^-33 of the
/// exact mean, then rounded to float32), so it streams: <see cref="StartAccumulating"/> folds each
/// update as it arrives and the round never holds more than one model-sized sum, and the result
/// is the same bits as <see cref="AggregateFit"/>'s, whatever the order updates arrived in. The
/// new global model's buffer is rented from <see cref="ParameterBufferPool.Shared"/>: FedAvg keeps
/// nothing, so the coordinator may give it back once no fit reads it.
/// </para>
/// </remarks>
public sealed class FedAvg : IStrategy
{
    /// <inheritdoc />
    public string Name => "fedavg";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(Aggregation.SampleWeightedMean(global, updates, ParameterBufferPool.Shared));

    /// <inheritdoc />
    public IUpdateAccumulator? StartAccumulating(StrategyContext context, Parameters global) =>
        new WeightedMeanAccumulator(global.Layout, ParameterBufferPool.Shared);
}
