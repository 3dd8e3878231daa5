using System.Globalization;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

/// <summary>
/// Rejects updates that would poison the global model: a layout other than the global
/// model's, a NaN or infinity, an L2 norm over the configured bound, or a non-positive sample
/// count (which would break the weighted mean).
/// </summary>
internal static class UpdateValidator
{
    /// <summary>Why the update is invalid, or null when it is fine.</summary>
    public static string? Problem(FitResult result, ParameterLayout expected, double? maxNorm)
    {
        var mismatch = expected.DescribeMismatch(result.Updated.Layout);
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

        if (maxNorm is { } bound)
        {
            var norm = result.Updated.L2Norm();
            if (norm > bound)
            {
                return string.Create(CultureInfo.InvariantCulture, $"L2 norm {norm:G6} exceeds the bound {bound:G6}");
            }
        }

        return null;
    }
}
