using FedActors.Torch.Models;

namespace FedActors.Torch.Tests.Models;

public sealed class ModelFactoryTests
{
    public ModelFactoryTests() => TestEnvironment.EnsureTorchInitialized();

    [Theory]
    [InlineData("logistic-regression", 7_850)]
    [InlineData("mlp", 199_210)]
    [InlineData("cnn", 1_663_370)]
    [InlineData("niid-cnn", 44_426)]
    public void InitialParameters_WhenModelIsBuilt_HasThePapersParameterCount(string name, int expected)
    {
        // given
        var kind = ModelKindNames.Parse(name);

        // when
        var parameters = ModelFactory.InitialParameters(kind, seed: 1);

        // then
        Assert.Equal(expected, parameters.Length);
    }

    [Fact]
    public void InitialParameters_WhenSeedIsTheSame_AreIdentical()
    {
        // given
        // when
        var first = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 7);
        var second = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 7);

        // then
        Assert.True(first.Values.SequenceEqual(second.Values));
    }

    [Fact]
    public void InitialParameters_WhenSeedDiffers_Differ()
    {
        // given
        // when
        var first = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 7);
        var second = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 8);

        // then
        Assert.False(first.Values.SequenceEqual(second.Values));
    }

    [Fact]
    public void Parse_WhenNameIsUnknown_ThrowsListingValidNames()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentException>(() => ModelKindNames.Parse("resnet"));

        // then
        Assert.Contains("'resnet'", error.Message);
        Assert.Contains("logistic-regression, mlp, cnn, niid-cnn", error.Message);
    }

    [Fact]
    public void ToConfigName_WhenParsedBack_GivesTheSameKind()
    {
        // given
        var kinds = Enum.GetValues<ModelKind>();

        // when
        var roundTripped = kinds.Select(k => ModelKindNames.Parse(k.ToConfigName()));

        // then
        Assert.Equal(kinds, roundTripped);
    }
}
