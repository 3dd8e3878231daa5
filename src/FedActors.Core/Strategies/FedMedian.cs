using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Coordinate-wise median (FedMedian): Yin, Chen, Ramchandran and Bartlett, "Byzantine-Robust
/// Distributed Learning: Towards Optimal Statistical Rates", ICML 2018, arXiv:1803.01498.
/// </summary>
/// <remarks>
/// For every coordinate j, with the n arrived updates' values sorted
/// <c>v_(1) ≤ … ≤ v_(n)</c>: <c>w(t+1)[j] = v_((n+1)/2)</c> for odd n and
/// <c>w(t+1)[j] = (v_(n/2) + v_(n/2+1)) / 2</c> for even n. Unweighted, as in the paper: a sample
/// count is one more thing a Byzantine client could lie about. The rule needs every update at
/// once, so it takes the buffered path (<see cref="IStrategy.AggregateFit"/>, no accumulator),
/// and it works for any n ≥ 1. Clients receive the configured training settings unchanged.
/// <para>A coordinate's median needs every update's value at once, so FedMedian has no streaming path (<see cref="IStrategy.StartAccumulating"/> is null): the coordinator keeps the round's updates and calls <see cref="AggregateFit"/>.</para>
/// </remarks>
public sealed class FedMedian : IStrategy
{
    /// <inheritdoc />
    public string Name => "fedmedian";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(RobustAggregation.Median(global.Layout, [.. updates.Select(u => u.Parameters)]));
}
