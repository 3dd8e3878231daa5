using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// FedAvg's streaming path: folds each update into exact 64-bit fixed-point sums as it arrives
/// (<see cref="FixedPointSum"/>), so a round holds one model-sized block of sums (8 bytes a
/// parameter) however many updates it has, and <see cref="Complete"/> gives, bit for bit, what
/// <see cref="Aggregation.SampleWeightedMean"/> gives for the same updates in any order.
/// </summary>
/// <remarks>The rule: <c>w(t+1) = Σ_k n_k · w_k / Σ_k n_k</c>; an update out of the fixed-point range makes <see cref="Complete"/> throw, whatever the order.</remarks>
internal sealed class WeightedMeanAccumulator : IUpdateAccumulator
{
    private readonly ParameterLayout _layout;
    private readonly ParameterBufferPool? _pool;
    private long[]? _sums;
    private long _totalWeight;
    private Int128 _bound;
    private int _count;

    /// <summary>Starts an empty sum for updates in <paramref name="layout"/>; the result's buffer comes from <paramref name="pool"/> when given.</summary>
    public WeightedMeanAccumulator(ParameterLayout layout, ParameterBufferPool? pool)
    {
        _layout = layout;
        _pool = pool;
        _sums = FixedPointSum.RentZeroed(layout.TotalLength);
    }

    /// <inheritdoc />
    public void Add(ClientUpdate update)
    {
        var sums = _sums ?? throw new InvalidOperationException("the round's updates were already aggregated");
        Aggregation.RequireWeight(update.SampleCount);
        Aggregation.RequireLayout(_layout, update.Parameters);
        var multiplier = FixedPointSum.Multiplier(update.SampleCount);
        var peak = FixedPointSum.Accumulate(update.Parameters.Values, multiplier, sums.AsSpan(0, _layout.TotalLength));
        _bound += FixedPointSum.BoundOf(peak, multiplier);
        _totalWeight += update.SampleCount;
        _count++;
    }

    /// <inheritdoc />
    public AggregationResult Complete()
    {
        var sums = _sums ?? throw new InvalidOperationException("the round's updates were already aggregated");
        try
        {
            if (_count == 0)
            {
                throw new InvalidOperationException("cannot average an empty list of updates");
            }

            FixedPointSum.CheckRange(_bound);
            var length = _layout.TotalLength;
            var result = _pool?.Rent(length) ?? GC.AllocateUninitializedArray<float>(length);
            FixedPointSum.WriteMean(sums.AsSpan(0, length), FixedPointSum.Multiplier(_totalWeight), result);
            return AggregationResult.Of(_pool is null ? Parameters.Wrap(_layout, result) : Parameters.WrapPooled(_layout, result, _pool));
        }
        finally
        {
            _sums = null;
            FixedPointSum.Return(sums);
        }
    }
}
