using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Tensors;

public sealed class ParametersTests
{
    [Fact]
    public void Tensor_ByName_ReturnsThatTensorsSliceOfTheContiguousBuffer()
    {
        var p = TestParameters.Of(1, 2, 3, 4, 5, 6);
        Assert.Equal([1f, 2f, 3f, 4f], p.Tensor("w").ToArray());
        Assert.Equal([5f, 6f], p.Tensor("b").ToArray());
        Assert.Throws<KeyNotFoundException>(() => p.Tensor("missing").ToArray());
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void AllFinite_WhenAnyValueIsNotFinite_IsFalse(float poison)
    {
        Assert.False(TestParameters.Of(1, 2, poison, 4, 5, 6).AllFinite());
    }

    [Fact]
    public void AllFinite_WhenTheSumOverflowsButEveryValueIsFinite_IsTrue()
    {
        Assert.True(TestParameters.Filled(float.MaxValue).AllFinite());
    }

    [Fact]
    public void Layout_WithADuplicateName_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => new ParameterLayout([new TensorSpec("w", [1]), new TensorSpec("w", [2])]));
        Assert.Contains("'w' appears twice", error.Message);
    }

    [Fact]
    public void Wrap_WhenTheBufferDoesNotFitTheLayout_IsRejected()
    {
        var error = Assert.Throws<ArgumentException>(() => Parameters.Wrap(TestParameters.Layout, new float[5]));
        Assert.Contains("6 values", error.Message);
    }
}
