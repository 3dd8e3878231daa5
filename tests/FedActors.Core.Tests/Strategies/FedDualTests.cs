using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Strategies;

/// <summary>FedDualAvg (feddual) against the paper's dual-averaging rules, on hand-checked values.</summary>
public sealed class FedDualTests
{
    [Theory]
    [InlineData(3f, 1f, 2f)]
    [InlineData(-3f, 1f, -2f)]
    [InlineData(0.5f, 1f, 0f)]
    [InlineData(-1f, 1f, 0f)]
    [InlineData(2f, 0f, 2f)]
    public void SoftThreshold_ShrinksTowardsZeroAndStopsThere(float z, float threshold, float expected)
    {
        // given / when
        var w = new float[1];
        FedDual.SoftThreshold([z], threshold, w);

        // then sign(z) * max(|z| - threshold, 0)
        Assert.Equal(expected, w[0]);
    }

    [Fact]
    public void AggregateFit_TwoRounds_MovesTheDualStateByTheMeanDeltaAndThresholdsByTheCumulativeStep()
    {
        // given eta_s = 2, lambda = 0.5, clients at eta_c = 0.1 taking K = 5 steps, z0 = w0 = 1
        var strategy = new FedDual(serverLearningRate: 2, l1: 0.5, sampleWeighted: false);
        var w0 = TestParameters.Filled(1f);
        var config = new FitConfig(1, 32, 0.1f, 0, 0, NamedTensors.NoHyperparameters);
        var sent = strategy.ConfigureFit(Context(1), w0, [], config).Common;

        // when round 1's clients send dz = -0.1 and -0.3 (sample counts 1 and 9, ignored: uniform)
        var round1 = strategy.AggregateFit(Context(1), w0, [Update("a", 1, -0.1f), Update("b", 9, -0.3f)]);
        var sent2 = strategy.ConfigureFit(Context(2), round1.Global, [], config).Common;
        var round2 = strategy.AggregateFit(Context(2), round1.Global, [Update("a", 1, -0.5f)]);

        // then round 1 started at offset 0 with z = w0; z1 = 1 + 2 * (-0.2) = 0.6, offset1 = 2 * 0.1 * 5 = 1,
        // w1 = soft(0.6, 1 * 0.5) = 0.1; round 2 starts at offset 1 with z1; z2 = 0.6 + 2 * (-0.5) = -0.4,
        // offset2 = 2, w2 = soft(-0.4, 1) = 0
        Assert.Equal(0.0, sent.Config.Hyperparameters[FedDual.OffsetKey]);
        Assert.Equal(w0.Values.ToArray(), sent.Extras[FedDual.DualKey].Values.ToArray());
        Assert.All(round1.Global.Values.ToArray(), v => Assert.Equal(0.1f, v, 5e-6f));
        Assert.Equal(1.0, sent2.Config.Hyperparameters[FedDual.OffsetKey], 6);
        Assert.All(sent2.Extras[FedDual.DualKey].Values.ToArray(), v => Assert.Equal(0.6f, v, 5e-6f));
        Assert.All(round2.Global.Values.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(1.0, round2.Metrics["zero-weights"]);
    }

    [Fact]
    public void AggregateFit_WithoutPenaltyAndUnitServerStep_IsTheUnweightedMeanOfTheClientsModels()
    {
        // given lambda = 0, eta_s = 1 and two clients that moved from w0 = 0 to 1..6 and 3..-2
        var strategy = new FedDual(serverLearningRate: 1, l1: 0, sampleWeighted: false);
        var w0 = TestParameters.Filled(0f);
        _ = strategy.ConfigureFit(Context(1), w0, [], new FitConfig(1, 32, 0.1f, 0, 0, NamedTensors.NoHyperparameters));

        // when their dual deltas (= model deltas for h = ||w||^2 / 2 without penalty) are aggregated
        var result = strategy.AggregateFit(Context(1), w0, [Update("a", 1, TestParameters.Of(1, 2, 3, 4, 5, 6)), Update("b", 9, TestParameters.Of(3, 2, 1, 0, -1, -2))]);

        // then the model is their plain mean
        Assert.Equal([2f, 2f, 2f, 2f, 2f, 2f], result.Global.Values.ToArray());
    }

    [Fact]
    public void ConfigureFit_WithLocalMomentum_IsRefusedNamingTheKey()
    {
        // given / when / then
        var error = Assert.Throws<ArgumentException>(() =>
            new FedDual(1, 0, false).ConfigureFit(Context(1), TestParameters.Filled(0f), [], new FitConfig(1, 32, 0.1f, 0.9f, 0, NamedTensors.NoHyperparameters)));
        Assert.Contains("'fedactors.training.momentum' is 0.9", error.Message);
    }

    private static StrategyContext Context(int round) => new(new RoundNumber(round), 1, 10, Seed: 1);

    private static ClientUpdate Update(string id, int samples, float dz) => Update(id, samples, TestParameters.Filled(dz));

    private static ClientUpdate Update(string id, int samples, Parameters dz) => new(
        new ClientId(id),
        dz,
        samples,
        NamedTensors.Empty.Add(FedDual.DualDeltaKey, dz),
        NamedTensors.NoHyperparameters.Add(FedNova.LocalStepsMetric, 5));
}
