using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

public sealed class FedAvgMTests
{
    private static readonly float[] Start = [0f, 1f, -1f, 2f, 0.5f, -0.5f];

    // Three clients with 1, 3 and 6 samples; each round's models differ, so momentum carries history.
    private static readonly Func<int, (string Id, int Samples, float[] Values)[]> Clients = t =>
    [
        ("a", 1, [1f * t, 0f, 2f, -1f, 0.25f, 3f]),
        ("b", 3, [0.5f, 1.5f - t, -2f, 1f, 0f, 1f]),
        ("c", 6, [-1f, 2f, 0f, 2.5f * t, 1f, -2f / t]),
    ];

    [Fact]
    public void ThreeRounds_WithUnequalSampleCounts_FollowHeavyBallMomentumOnTheFedAvgPseudoGradient()
    {
        // given η = 0.5 and β = 0.9, and the naive float64 rule: Δ = w − Σ (n_k/n) w_k, v ← β v + Δ, w ← w − η v
        const double eta = 0.5, beta = 0.9;
        var strategy = new FedAvgM(serverLearningRate: eta, momentum: beta);
        var w = Start.Select(s => (double)s).ToArray();
        var v = new double[w.Length];
        var global = TestParameters.Of(Start);

        for (var t = 1; t <= 3; t++)
        {
            var clients = Clients(t);
            var n = clients.Sum(c => c.Samples);
            for (var i = 0; i < w.Length; i++)
            {
                var mean = clients.Sum(c => (double)c.Samples / n * c.Values[i]);
                v[i] = (beta * v[i]) + (w[i] - mean);
                w[i] -= eta * v[i];
            }

            // when FedAvgM aggregates round t
            var result = Round(strategy, global, t);
            global = result.Global;

            // then the model and the velocity are the naive rule's, and the metric is ‖v‖₂
            Close.Equal(w, global.Values, $"round {t} model");
            Close.Equal(v, strategy.ExportState().Tensors["fedavgm.velocity"].Values, $"round {t} velocity");
            Assert.Equal(Math.Sqrt(v.Sum(x => x * x)), result.Metrics["velocity-norm"], 4);
        }
    }

    [Fact]
    public void WithMomentumZeroAndServerLearningRateOne_EqualsFedAvgToFloat32RoundOff()
    {
        // given FedAvgM(η = 1, β = 0) and FedAvg, and seeded updates that do not add exactly in float32
        var fedAvgM = new FedAvgM(serverLearningRate: 1, momentum: 0);
        var fedAvg = new FedAvg();
        var random = new Random(11);
        var global = TestParameters.Of([.. Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 4 - 2))]);

        for (var t = 1; t <= 3; t++)
        {
            var updates = Enumerable.Range(0, 5)
                .Select(k => Update($"c{k}", random.Next(1, 50), [.. Enumerable.Range(0, 6).Select(_ => (float)(random.NextDouble() * 4 - 2))]))
                .ToList();

            // when both aggregate the same round from the same global model
            var momentum = fedAvgM.AggregateFit(Context(t), global, updates).Global.Values.ToArray();
            var mean = fedAvg.AggregateFit(Context(t), global, updates).Global.Values.ToArray();

            // then w − (w − w̄) differs from w̄ by at most the two roundings it takes: 2·ε·(|w| + |w̄|), ε = 2^-23
            for (var i = 0; i < mean.Length; i++)
            {
                var tolerance = 2 * Math.Pow(2, -23) * (Math.Abs(global.Values[i]) + Math.Abs(mean[i]));
                Assert.True(Math.Abs(momentum[i] - mean[i]) <= tolerance, $"round {t} value {i}: FedAvgM {momentum[i]:R}, FedAvg {mean[i]:R}");
            }

            global = Parameters.Wrap(global.Layout, momentum);
        }
    }

    [Fact]
    public void State_WhenExportedAndImportedIntoANewInstance_ContinuesBitForBit()
    {
        // given FedAvgM after two rounds, and a new instance that imported its state
        var original = new FedAvgM();
        var global = Round(original, TestParameters.Of(Start), 1).Global;
        global = Round(original, global, 2).Global;
        var restored = new FedAvgM();
        restored.ImportState(original.ExportState());

        // when both aggregate round 3
        var a = Round(original, global, 3).Global;
        var b = Round(restored, global, 3).Global;

        // then they agree to the bit, velocity included
        Assert.Equal(TestParameters.Bits(a), TestParameters.Bits(b));
        Assert.Equal(
            TestParameters.Bits(original.ExportState().Tensors["fedavgm.velocity"]),
            TestParameters.Bits(restored.ExportState().Tensors["fedavgm.velocity"]));
    }

    [Fact]
    public void ExportState_BeforeAnyRound_IsEmpty()
    {
        // given a new FedAvgM, when its state is exported, then it is empty (v = 0 is implied)
        Assert.True(new FedAvgM().ExportState().IsEmpty);
    }

    [Fact]
    public void ImportState_OfAnotherStrategy_ThrowsNamingWhatEachHolds()
    {
        // given FedAdam's state after a round
        var fedAdam = new FedAdam();
        Round(fedAdam, TestParameters.Of(Start), 1);

        // when FedAvgM imports it
        var error = Assert.Throws<ArgumentException>(() => new FedAvgM().ImportState(fedAdam.ExportState()));

        // then the message names both
        Assert.Contains("strategy fedavgm keeps tensors [fedavgm.velocity]", error.Message);
        Assert.Contains("fedadam.m", error.Message);
    }

    [Theory]
    [InlineData(0.0, 0.9, "serverLearningRate")]
    [InlineData(double.PositiveInfinity, 0.9, "serverLearningRate")]
    [InlineData(1.0, 1.0, "momentum")]
    [InlineData(1.0, -0.5, "momentum")]
    public void Constructor_WhenAValueIsOutOfRange_ThrowsNamingTheParameter(double eta, double beta, string parameter)
    {
        // when built with a value outside its range, then the parameter is named
        Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(() => new FedAvgM(eta, beta)).ParamName);
    }

    private static AggregationResult Round(IStrategy strategy, Parameters global, int t) =>
        strategy.AggregateFit(Context(t), global, [.. Clients(t).Select(c => Update(c.Id, c.Samples, c.Values))]);

    private static StrategyContext Context(int t) => new(new RoundNumber(t), 1, 5, Seed: 1);

    private static ClientUpdate Update(string id, int samples, float[] values) =>
        new(new ClientId(id), TestParameters.Of(values), samples, NamedTensors.Empty, NamedTensors.NoHyperparameters);
}
