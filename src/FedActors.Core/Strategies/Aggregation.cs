using System.Numerics.Tensors;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The aggregation math shared by strategies, as pure functions over contiguous buffers, with no
/// per-element allocation. Means are exact sums in 64-bit fixed point (<see cref="FixedPointSum"/>),
/// so they do not depend on the order of their terms: the buffered path and a streaming
/// <see cref="WeightedMeanAccumulator"/> fed in any arrival order give the same bits. The
/// buffered mean is tiled in registers (<see cref="FixedPointSum.MeanOf"/>): 16 coordinates of
/// every update are summed at a time and their mean written once, so the pass costs about one read
/// of the updates instead of one read-modify-write of the result per update.
/// </summary>
public static class Aggregation
{
    /// <summary>
    /// The sample-weighted mean: <c>w = Σ_k (n_k / n) · w_k</c> with <c>n = Σ_k n_k</c>, in fixed
    /// point (within 2^-33 of the exact mean of the inputs, then rounded to float32; see
    /// <see cref="FixedPointSum"/> for the range).
    /// </summary>
    /// <param name="layout">The layout of every item and of the result.</param>
    /// <param name="items">The terms and their weights, any order.</param>
    /// <param name="pool">Where the result's buffer is rented from (the caller then owns it); null for a buffer of its own.</param>
    /// <exception cref="ArgumentException">The list is empty, a weight is not positive, or a layout differs from <paramref name="layout"/>.</exception>
    /// <exception cref="OverflowException">The items are out of the fixed-point range.</exception>
    public static Parameters WeightedMean(ParameterLayout layout, IReadOnlyList<(Parameters Values, int Weight)> items, ParameterBufferPool? pool = null)
    {
        if (items.Count == 0)
        {
            throw new ArgumentException("cannot average an empty list of updates", nameof(items));
        }

        long total = 0;
        foreach (var (values, weight) in items)
        {
            RequireWeight(weight);
            RequireLayout(layout, values);
            total += weight;
        }

        var result = pool?.Rent(layout.TotalLength) ?? GC.AllocateUninitializedArray<float>(layout.TotalLength);
        var multipliers = items.Select(item => FixedPointSum.Multiplier(item.Weight)).ToArray();
        var peaks = FixedPointSum.MeanOf(items.Select(item => item.Values.Buffer).ToArray(), multipliers, FixedPointSum.Multiplier(total), result);
        Int128 bound = 0;
        for (var k = 0; k < items.Count; k++)
        {
            bound += FixedPointSum.BoundOf(peaks[k], multipliers[k]);
        }

        FixedPointSum.CheckRange(bound);
        return pool is null ? Parameters.Wrap(layout, result) : Parameters.WrapPooled(layout, result, pool);
    }

    /// <summary>FedAvg's rule over a round's updates: <see cref="WeightedMean"/> weighted by each client's sample count.</summary>
    /// <param name="global">The model the clients started from (its layout is the result's).</param>
    /// <param name="updates">The updates, any order.</param>
    /// <param name="pool">Where the result's buffer is rented from; null for a buffer of its own.</param>
    public static Parameters SampleWeightedMean(Parameters global, IReadOnlyList<ClientUpdate> updates, ParameterBufferPool? pool = null) =>
        WeightedMean(global.Layout, updates.Select(u => (u.Parameters, u.SampleCount)).ToList(), pool);

    /// <summary>The unweighted mean <c>(1/|S|)·Σ_k v_k</c> of equally shaped values, in list order.</summary>
    /// <exception cref="ArgumentException">The list is empty or a layout differs from <paramref name="layout"/>.</exception>
    public static Parameters Mean(ParameterLayout layout, IReadOnlyList<Parameters> values) =>
        WeightedMean(layout, values.Select(v => (v, 1)).ToList());

    /// <summary><c>a + scale·b</c>, elementwise, into a new buffer.</summary>
    public static Parameters AddScaled(Parameters a, Parameters b, float scale)
    {
        RequireLayout(a.Layout, b);
        var result = new float[a.Length];
        TensorPrimitives.MultiplyAdd(b.Values, scale, a.Values, result);
        return Parameters.Wrap(a.Layout, result);
    }

    /// <summary>
    /// The norm of a client's update, <c>‖w_k − w_global‖₂</c>: the one rule behind the server's
    /// max-update-norm check, norm bounding and differential-privacy clipping, all of which bound
    /// how far one client can move the model, not how large the model's weights are.
    /// </summary>
    /// <exception cref="ArgumentException">The layouts differ.</exception>
    public static double UpdateNorm(Parameters global, Parameters updated)
    {
        RequireLayout(global.Layout, updated);
        return TensorPrimitives.Distance(updated.Values, global.Values);
    }

    /// <summary>Throws when a mean's weight is not positive.</summary>
    public static void RequireWeight(int weight)
    {
        if (weight <= 0)
        {
            throw new ArgumentException($"update weights must be positive, got {weight}", nameof(weight));
        }
    }

    /// <summary>Throws when <paramref name="candidate"/> does not have <paramref name="expected"/>'s names and shapes.</summary>
    public static void RequireLayout(ParameterLayout expected, Parameters candidate)
    {
        var mismatch = expected.DescribeMismatch(candidate.Layout);
        if (mismatch is not null)
        {
            throw new ArgumentException($"update layout does not match the global model: {mismatch}", nameof(candidate));
        }
    }
}
