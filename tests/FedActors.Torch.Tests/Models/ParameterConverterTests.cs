using FedActors.Core.Tensors;
using FedActors.Torch.Models;

namespace FedActors.Torch.Tests.Models;

public sealed class ParameterConverterTests
{
    public ParameterConverterTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void LayoutOf_WhenModelIsTheCnn_ListsNamedTensorsInRegistrationOrder()
    {
        // given
        using var module = ModelFactory.Create(ModelKind.Cnn, seed: 1);

        // when
        var layout = ParameterConverter.LayoutOf(module);

        // then
        Assert.Equal(
            ["conv1.weight[32x1x5x5]", "conv1.bias[32]", "conv2.weight[64x32x5x5]", "conv2.bias[64]", "fc1.weight[512x3136]", "fc1.bias[512]", "fc2.weight[10x512]", "fc2.bias[10]"],
            layout.Tensors.Select(t => t.ToString()));
    }

    [Fact]
    public void CopyIn_WhenCopiedOutAgain_GivesIdenticalValues()
    {
        // given
        using var source = ModelFactory.Create(ModelKind.Mlp, seed: 1);
        using var target = ModelFactory.Create(ModelKind.Mlp, seed: 2);
        var original = ParameterConverter.CopyOut(source);

        // when
        ParameterConverter.CopyIn(target, original);
        var copied = ParameterConverter.CopyOut(target);

        // then
        Assert.True(copied.Layout.Matches(original.Layout));
        Assert.True(copied.Values.SequenceEqual(original.Values));
    }

    [Fact]
    public void CopyIn_WhenValuesAreChanged_TheModelSeesThem()
    {
        // given
        using var module = ModelFactory.Create(ModelKind.LogisticRegression, seed: 1);
        var layout = ParameterConverter.LayoutOf(module);
        var values = Enumerable.Range(0, layout.TotalLength).Select(i => i * 0.001f).ToArray();

        // when
        ParameterConverter.CopyIn(module, Parameters.Wrap(layout, values));

        // then
        var bias = module.named_parameters().Single(p => p.name == "fc.bias").parameter;
        Assert.Equal(values[^10..], bias.data<float>().ToArray());
    }

    [Fact]
    public void CopyIn_WhenLayoutIsAnotherModels_ThrowsNamingTheMismatch()
    {
        // given
        using var module = ModelFactory.Create(ModelKind.LogisticRegression, seed: 1);
        var other = ModelFactory.InitialParameters(ModelKind.Mlp, seed: 1);

        // when
        var error = Assert.Throws<ArgumentException>(() => ParameterConverter.CopyIn(module, other));

        // then
        Assert.Contains("fc1.weight", error.Message);
    }
}
