using System.Collections.Immutable;

namespace FedActors.Core.Tensors;

/// <summary>
/// Maps of named extra tensors (a strategy's extras, a client's kept state). Keys compare
/// ordinally so that iteration order, and so the wire format and aggregation order, never
/// depend on the machine's culture.
/// </summary>
public static class NamedTensors
{
    /// <summary>The empty map, with the ordinal key order every map must use.</summary>
    public static readonly ImmutableSortedDictionary<string, Parameters> Empty =
        ImmutableSortedDictionary.Create<string, Parameters>(StringComparer.Ordinal);

    /// <summary>The empty hyperparameter map, ordinal like <see cref="Empty"/>.</summary>
    public static readonly ImmutableSortedDictionary<string, double> NoHyperparameters =
        ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal);
}
