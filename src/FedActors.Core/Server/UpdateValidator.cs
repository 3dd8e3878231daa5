using System.Globalization;
using System.Numerics.Tensors;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

/// <summary>
/// Rejects updates that would poison the global model: a layout other than the global
/// model's, a NaN or infinity, an update norm <c>‖w_k − w_global‖</c> over the configured bound,
/// a non-positive sample count (which would break the weighted mean), or a sample count so large
/// that <c>n_k · max|w_k|</c> alone exceeds the fixed-point range of the order-independent mean
/// (<see cref="FixedPointSum"/>, 2^31): one client's claim must cost its update, not the round.
/// </summary>
internal static class UpdateValidator
{
    /// <summary>Why the update is invalid, or null when it is fine.</summary>
    public static string? Problem(FitResult result, Parameters global, double? maxUpdateNorm)
    {
        var mismatch = global.Layout.DescribeMismatch(result.Updated.Layout);
        if (mismatch is not null)
        {
            return "wrong shapes: " + mismatch;
        }

        if (result.SampleCount <= 0)
        {
            return $"sample count {result.SampleCount} is not positive";
        }

        if (!result.Updated.AllFinite())
        {
            return "parameters contain NaN or infinity";
        }

        var peak = result.Updated.Values.IsEmpty ? 0f : TensorPrimitives.MaxMagnitude(result.Updated.Values);
        if (!FixedPointSum.FitsAlone(result.SampleCount, Math.Abs(peak)))
        {
            return string.Create(CultureInfo.InvariantCulture, $"sample count {result.SampleCount} times the largest |weight| {Math.Abs(peak):G6} exceeds the weighted mean's fixed-point range (2^31)");
        }

        if (maxUpdateNorm is { } bound)
        {
            var norm = Aggregation.UpdateNorm(global, result.Updated);
            if (norm > bound)
            {
                return string.Create(CultureInfo.InvariantCulture, $"update norm ||w_k - w_global|| {norm:G6} exceeds max-update-norm {bound:G6}");
            }
        }

        return null;
    }
}
