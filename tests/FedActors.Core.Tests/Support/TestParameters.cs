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
}
