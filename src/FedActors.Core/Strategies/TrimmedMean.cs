using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Coordinate-wise trimmed mean: Yin, Chen, Ramchandran and Bartlett, "Byzantine-Robust
/// Distributed Learning: Towards Optimal Statistical Rates", ICML 2018, arXiv:1803.01498.
/// </summary>
/// <remarks>
/// With n arrived updates and <c>b = floor(β·n)</c>, for every coordinate j, with the values
/// sorted <c>v_(1) ≤ … ≤ v_(n)</c>: <c>w(t+1)[j] = (1 / (n − 2b)) · Σ_{i=b+1}^{n−b} v_(i)</c>,
/// i.e. the b smallest and b largest values of each coordinate are dropped and the rest averaged,
/// unweighted as in the paper. β &lt; 0.5 keeps at least one value for any n ≥ 1; β = 0 is the plain
/// mean. The rule needs every update at once, so it takes the buffered path (no accumulator).
/// <para>Trimming needs every update's value of a coordinate at once, so the trimmed mean has no streaming path (<see cref="IStrategy.StartAccumulating"/> is null): the coordinator keeps the round's updates and calls <see cref="AggregateFit"/>.</para>
/// </remarks>
public sealed class TrimmedMean : IStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="beta">The share β trimmed from each end, in [0, 0.5); 0.1 by default in reference.conf.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is outside [0, 0.5).</exception>
    public TrimmedMean(double beta)
    {
        if (!(beta >= 0 && beta < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "the trimmed share must be in [0, 0.5)");
        }

        Beta = beta;
    }

    /// <summary>The share β trimmed from each end of every coordinate.</summary>
    public double Beta { get; }

    /// <inheritdoc />
    public string Name => "trimmed-mean";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(RobustAggregation.TrimmedMean(
            global.Layout, [.. updates.Select(u => u.Parameters)], RobustAggregation.TrimmedCount(Beta, updates.Count)));
}
