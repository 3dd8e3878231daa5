using System.Globalization;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

/// <summary>
/// Rejects updates that would poison the global model: a layout other than the global
/// model's, a NaN or infinity, an update norm <c>‖w_k − w_global‖</c> over the configured bound,
/// or a non-positive sample count (which would break the weighted mean).
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
