using System.Numerics.Tensors;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The aggregation math shared by strategies, as pure functions over contiguous buffers: one
/// SIMD pass per update through <see cref="TensorPrimitives"/>, no per-element allocation,
/// and a fixed summation order (the order of the list) so that a seed gives bit-identical
/// results whatever the order replies arrived in.
/// </summary>
public static class Aggregation
{
    /// <summary>
    /// The sample-weighted mean: <c>w = Σ_k (n_k / n) · w_k</c> with <c>n = Σ_k n_k</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, a weight is not positive, or a layout differs from <paramref name="layout"/>.</exception>
    public static Parameters WeightedMean(ParameterLayout layout, IReadOnlyList<(Parameters Values, int Weight)> items)
    {
        if (items.Count == 0)
        {
            throw new ArgumentException("cannot average an empty list of updates", nameof(items));
        }

        long total = 0;
        foreach (var (values, weight) in items)
        {
            if (weight <= 0)
            {
                throw new ArgumentException($"update weights must be positive, got {weight}", nameof(items));
            }

            RequireLayout(layout, values);
            total += weight;
        }

        var result = new float[layout.TotalLength];
        foreach (var (values, weight) in items)
        {
            // result += values * (n_k / n), fused into one vectorised pass per update.
            TensorPrimitives.MultiplyAdd(values.Values, (float)((double)weight / total), result, result);
        }

        return Parameters.Wrap(layout, result);
    }

    /// <summary>FedAvg's rule over a round's updates: <see cref="WeightedMean"/> weighted by each client's sample count.</summary>
    public static Parameters SampleWeightedMean(Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        WeightedMean(global.Layout, updates.Select(u => (u.Parameters, u.SampleCount)).ToList());

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
