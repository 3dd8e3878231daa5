using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Support;

/// <summary>Small hand-made parameter sets.</summary>
internal static class TestParameters
{
    /// <summary>A two-tensor layout: <c>w</c> of 2x2 and <c>b</c> of 2.</summary>
    public static readonly ParameterLayout Layout = new([
        new TensorSpec("w", ImmutableArray.Create(2, 2)),
        new TensorSpec("b", ImmutableArray.Create(2)),
    ]);

    /// <summary>Parameters of <see cref="Layout"/> with the six given values.</summary>
    public static Parameters Of(params float[] values) => Parameters.Wrap(Layout, values);

    /// <summary>Parameters of <see cref="Layout"/> with every value <paramref name="value"/>.</summary>
    public static Parameters Filled(float value) => Of(Enumerable.Repeat(value, Layout.TotalLength).ToArray());

    /// <summary>Each value's bits, so that NaN payloads and -0 compare exactly.</summary>
    public static int[] Bits(Parameters parameters) => [.. parameters.Values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    /// <summary>A map of named tensors (a client's state, a strategy's tensors), ordinal like every such map.</summary>
    public static ImmutableSortedDictionary<string, Parameters> Named(params (string Name, Parameters Value)[] entries) =>
        entries.ToImmutableSortedDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
}
