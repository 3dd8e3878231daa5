using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

public sealed class StrategyCatalogTests
{
    [Fact]
    public void FromConfig_WithTheEmbeddedDefaults_GivesTheServerOptimisersTheDocumentedValues()
    {
        // given reference.conf alone, naming each server optimiser in turn
        // when each is created
        var fedAvgM = Assert.IsType<FedAvgM>(Create("fedactors.strategy.name = fedavgm"));
        var fedAdagrad = Assert.IsType<FedAdagrad>(Create("fedactors.strategy.name = fedadagrad"));
        var fedAdam = Assert.IsType<FedAdam>(Create("fedactors.strategy.name = fedadam"));
        var fedYogi = Assert.IsType<FedYogi>(Create("fedactors.strategy.name = fedyogi"));

        // then every value is the one reference.conf documents, and the constructors' defaults agree
        Assert.Equal((1.0, 0.9), (fedAvgM.ServerLearningRate, fedAvgM.Momentum));
        Assert.Equal((0.1, 0.0, 1e-3, ClientWeighting.Uniform), (fedAdagrad.ServerLearningRate, fedAdagrad.Beta1, fedAdagrad.Tau, fedAdagrad.Weighting));
        Assert.Equal((0.01, 0.9, 0.99, 1e-3, false, ClientWeighting.Uniform), (fedAdam.ServerLearningRate, fedAdam.Beta1, fedAdam.Beta2, fedAdam.Tau, fedAdam.BiasCorrection, fedAdam.Weighting));
        Assert.Equal((0.01, 0.9, 0.99, 1e-3, ClientWeighting.Uniform), (fedYogi.ServerLearningRate, fedYogi.Beta1, fedYogi.Beta2, fedYogi.Tau, fedYogi.Weighting));
        var (m, g, a, y) = (new FedAvgM(), new FedAdagrad(), new FedAdam(), new FedYogi());
        Assert.Equal((m.ServerLearningRate, m.Momentum), (fedAvgM.ServerLearningRate, fedAvgM.Momentum));
        Assert.Equal((g.ServerLearningRate, g.Beta1, g.Tau, g.Weighting), (fedAdagrad.ServerLearningRate, fedAdagrad.Beta1, fedAdagrad.Tau, fedAdagrad.Weighting));
        Assert.Equal((a.ServerLearningRate, a.Beta1, a.Beta2, a.Tau, a.BiasCorrection, a.Weighting), (fedAdam.ServerLearningRate, fedAdam.Beta1, fedAdam.Beta2, fedAdam.Tau, fedAdam.BiasCorrection, fedAdam.Weighting));
        Assert.Equal((y.ServerLearningRate, y.Beta1, y.Beta2, y.Tau, y.Weighting), (fedYogi.ServerLearningRate, fedYogi.Beta1, fedYogi.Beta2, fedYogi.Tau, fedYogi.Weighting));
    }

    [Fact]
    public void FromConfig_WithEveryKeySet_PassesEachOn()
    {
        // given a FedAdam block with every key changed
        const string hocon = """
            fedactors.strategy {
              name = fedadam
              fedadam { server-learning-rate = 0.5, beta1 = 0, beta2 = 0.5, tau = 1e-6, bias-correction = on, weighting = samples }
            }
            """;

        // when it is created
        var s = Assert.IsType<FedAdam>(Create(hocon));

        // then each value is the configured one
        Assert.Equal((0.5, 0.0, 0.5, 1e-6, true, ClientWeighting.SampleCount), (s.ServerLearningRate, s.Beta1, s.Beta2, s.Tau, s.BiasCorrection, s.Weighting));
    }

    [Theory]
    [InlineData("fedadam", "beta1 = 1", "'fedactors.strategy.fedadam.beta1' is '1', but must be a number in [0, 1)")]
    [InlineData("fedadam", "beta2 = 1.5", "'fedactors.strategy.fedadam.beta2' is '1.5', but must be a number in [0, 1]")]
    [InlineData("fedyogi", "beta2 = 1", "'fedactors.strategy.fedyogi.beta2' is '1', but must be a number in [0, 1)")]
    [InlineData("fedadagrad", "beta1 = -0.1", "'fedactors.strategy.fedadagrad.beta1' is '-0.1', but must be a number in [0, 1]")]
    [InlineData("fedadam", "tau = 0", "'fedactors.strategy.fedadam.tau' is '0', but must be a number in (0, inf]")]
    [InlineData("fedyogi", "tau = -1e-3", "'fedactors.strategy.fedyogi.tau' is '-1e-3', but must be a number in (0, inf]")]
    [InlineData("fedadagrad", "server-learning-rate = 0", "'fedactors.strategy.fedadagrad.server-learning-rate' is '0', but must be a number in (0, inf]")]
    [InlineData("fedavgm", "momentum = 1", "'fedactors.strategy.fedavgm.momentum' is '1', but must be a number in [0, 1)")]
    [InlineData("fedavgm", "server-learning-rate = fast", "'fedactors.strategy.fedavgm.server-learning-rate' is 'fast', but must be a number")]
    [InlineData("fedadam", "bias-correction = maybe", "'fedactors.strategy.fedadam.bias-correction' is 'maybe', but must be on or off")]
    [InlineData("fedyogi", "weighting = median", "'fedactors.strategy.fedyogi.weighting' is 'median', but must be one of uniform, samples")]
    public void FromConfig_WhenASettingIsOutOfRange_NamesTheKeyTheValueAndTheRule(string strategy, string setting, string expected)
    {
        // given one bad setting in the named strategy's block
        var hocon = $"fedactors.strategy {{ name = {strategy}, {strategy} {{ {setting} }} }}";

        // when the strategy is created
        var error = Assert.Throws<ConfigurationException>(() => Create(hocon));

        // then the message names the key, the value and the rule
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownKeys_WhenFedAdagradIsGivenABeta2_ReportsIt()
    {
        // given a beta2 for FedAdagrad, whose rule has none (its v is a plain sum)
        var user = ConfigurationFactory.ParseString("fedactors.strategy.fedadagrad.beta2 = 0.99");

        // when unknown keys are looked for, then it is one
        Assert.Equal(["fedactors.strategy.fedadagrad.beta2"], UnknownKeys.Find(user));
    }

    private static IStrategy Create(string hocon) => StrategyCatalog.FromConfig(FedActorsConfig.Load(ConfigurationFactory.ParseString(hocon)));
}
