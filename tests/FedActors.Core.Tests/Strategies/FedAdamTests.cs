using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

/// <summary>FedAdam as published (no bias correction) against the contract, with the naive v(t) = β2·v(t−1) + (1 − β2)·Δ².</summary>
public class FedAdamTests : FedOptContractTests
{
    /// <summary>Whether the strategy under test corrects bias.</summary>
    protected virtual bool BiasCorrection => false;

    [Fact]
    public void Constructor_WhenAValueIsOutOfRange_ThrowsNamingTheParameter()
    {
        // given values just outside each range, when the strategy is built, then the parameter is named
        Assert.Equal("beta1", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(beta1: 1)).ParamName);
        Assert.Equal("beta2", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(beta2: -0.1)).ParamName);
        Assert.Equal("tau", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(tau: 0)).ParamName);
        Assert.Equal("serverLearningRate", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(serverLearningRate: double.NaN)).ParamName);
        Assert.Equal("weighting", Assert.Throws<ArgumentOutOfRangeException>(() => new FedAdam(weighting: (ClientWeighting)7)).ParamName);
    }

    protected override FedOpt Create(ClientWeighting weighting) =>
        new FedAdam(serverLearningRate: Eta, beta1: Beta1, beta2: Beta2, tau: Tau, biasCorrection: BiasCorrection, weighting: weighting);

    protected override double NaiveSecondMoment(double previous, double deltaSquared) =>
        (Beta2 * previous) + ((1 - Beta2) * deltaSquared);
}
