using System.Collections.Immutable;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

public sealed class DpFedAvgTests
{
    private static readonly ParameterLayout Wide = new([new TensorSpec("w", ImmutableArray.Create(20_000))]);

    internal static CentralDpSettings Settings(double clip = 1.0, double z = 1.0, double q = 1.0, bool secure = false, double? budget = null, AdaptiveClippingSettings? adaptive = null, AccountantKind accountant = AccountantKind.Rdp) =>
        new(clip, z, q, secure, Delta: 1e-5, accountant, RdpConversion.Improved, budget, adaptive);

    internal static StrategyContext Context(int registered, int round = 1, int attempt = 1, int seed = 7) => new(new RoundNumber(round), attempt, registered, seed);

    internal static ClientUpdate Update(string id, Parameters parameters, int samples = 1) =>
        new(new ClientId(id), parameters, samples, NamedTensors.Empty, NamedTensors.NoHyperparameters);

    [Fact]
    public void ClipDelta_GivenDeltasOfEveryScale_NeverLeavesANormAboveTheClip()
    {
        // given random deltas from far below to far above C = 1, in up to 100,000 coordinates
        var random = new Random(3);
        foreach (var length in new[] { 1, 6, 1_000, 100_000 })
        {
            foreach (var scale in new[] { 1e-3, 0.999, 1.0, 1.001, 1e3 })
            {
                var global = Enumerable.Range(0, length).Select(_ => (float)random.NextDouble()).ToArray();
                var direction = Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
                var norm = Math.Sqrt(direction.Sum(d => d * d));
                var updated = global.Select((g, i) => (float)(g + (direction[i] * scale / norm))).ToArray();
                var clipped = new double[length];

                // when the delta is clipped
                var within = DpFedAvg.ClipDelta(global, updated, 1.0, clipped);

                // then its norm, summed exactly in decimal, is at most C, and b_k says whether the update was within C
                var exact = (double)clipped.Select(c => (decimal)c * (decimal)c).Sum();
                Assert.True(exact <= 1.0, $"length {length}, scale {scale}: the clipped norm² is {exact:R}");
                if (scale != 1.0)
                {
                    Assert.Equal(scale < 1, within);
                }
            }
        }
    }

    [Fact]
    public void Aggregate_GivenAnUpdateFarBeyondTheClip_MovesTheModelByAtMostTheClip()
    {
        // given C = 1, one expected client, almost no noise, and a delta (30, 40, 0, 0, 0, 0) of norm 50
        var strategy = new DpFedAvg(new FedAvg(), Settings(clip: 1, z: 1e-6));
        var global = TestParameters.Filled(0f);

        // when it is aggregated
        var next = strategy.AggregateFit(Context(registered: 1), global, [Update("a", TestParameters.Of(30, 40, 0, 0, 0, 0))]).Global;

        // then the model moved by the clipped delta (0.6, 0.8, 0, ...), of norm 1
        Near([0.6, 0.8, 0, 0, 0, 0], next.Values, 1e-5);
    }

    [Fact]
    public void Aggregate_WithZeroDeltas_AddsNoiseOfStddevZTimesCOverQN()
    {
        // given C = 2, z = 1.5, q = 0.5 of N = 8 clients, 20,000 coordinates and three clients that did not move
        var strategy = new DpFedAvg(new FedAvg(), Settings(clip: 2, z: 1.5, q: 0.5));
        var global = Parameters.Zeros(Wide);
        var updates = new[] { "a", "b", "c" }.Select(id => Update(id, global)).ToList();

        // when the round is aggregated
        var result = strategy.AggregateFit(Context(registered: 8), global, updates);

        // then Σ x²/σ² with σ = z·C/(q·N) = 0.75 is inside χ²(20,000)'s central 1 − 1e-6 (Wilson–Hilferty, z = ±4.9):
        // a correct sampler fails this seeded test with probability 1e-6
        const double Sigma = 1.5 * 2 / 4;
        var statistic = result.Global.Values.ToArray().Sum(x => (double)x * x) / (Sigma * Sigma);
        var (low, high) = (ChiSquareQuantile(Wide.TotalLength, -4.9), ChiSquareQuantile(Wide.TotalLength, 4.9));
        Assert.InRange(statistic, low, high);
        Assert.Equal(1.5 * 2, result.Metrics[DpFedAvg.NoiseStddevMetric], tolerance: 1e-5 * 3);
        Assert.Equal(4, result.Metrics[DpFedAvg.ExpectedClientsMetric]);
    }

    [Fact]
    public void Aggregate_WhenClientsDropOut_DividesByTheExpectedClientsNotByThoseWhoAnswered()
    {
        // given q = 0.5 of N = 10 registered clients (q·N = 5), almost no noise, and unit deltas
        var global = TestParameters.Filled(0f);

        // when three clients answer, then two
        var three = new DpFedAvg(new FedAvg(), Settings(clip: 10, z: 1e-6, q: 0.5))
            .AggregateFit(Context(registered: 10), global, [.. new[] { "a", "b", "c" }.Select(id => Update(id, TestParameters.Filled(1f)))]).Global;
        var two = new DpFedAvg(new FedAvg(), Settings(clip: 10, z: 1e-6, q: 0.5))
            .AggregateFit(Context(registered: 10), global, [.. new[] { "a", "b" }.Select(id => Update(id, TestParameters.Filled(1f)))]).Global;

        // then the sums are divided by 5 both times: 3/5 and 2/5, not the mean 1
        Near(Enumerable.Repeat(0.6, 6).ToList(), three.Values, 1e-4);
        Near(Enumerable.Repeat(0.4, 6).ToList(), two.Values, 1e-4);
    }

    [Fact]
    public void Aggregate_WithTinyNoiseAndAHugeClip_IsTheUniformlyWeightedMean()
    {
        // given three expected clients with very unequal sample counts, C = 20 above every delta's norm (at most 11) and z = 1e-6
        var strategy = new DpFedAvg(new FedAvg(), Settings(clip: 20, z: 1e-6, q: 1));
        var global = TestParameters.Filled(1f);
        ClientUpdate[] updates =
        [
            Update("a", TestParameters.Of(2, 3, 4, 5, 6, 7), samples: 1),
            Update("b", TestParameters.Of(0, 0, 0, 0, 0, 0), samples: 100),
            Update("c", TestParameters.Of(4, 3, 2, 1, 0, -1), samples: 10_000),
        ];

        // when aggregated
        var next = strategy.AggregateFit(Context(registered: 3), global, updates).Global;

        // then it is the unweighted mean (2, 2, 2, 2, 2, 2), not FedAvg's sample-weighted one
        Near(Enumerable.Repeat(2.0, 6).ToList(), next.Values, 1e-4);
    }

    [Fact]
    public void StartAccumulating_WhenUpdatesArriveInAnotherOrder_GivesTheSameModelToTheBit()
    {
        // given the same seeded round twice, with updates whose float sums depend on their order
        var global = TestParameters.Filled(0.1f);
        var updates = Enumerable.Range(0, 30)
            .Select(i => Update($"c{i:D2}", TestParameters.Of([.. Enumerable.Range(0, 6).Select(j => (float)(0.1 + (Math.Pow(-1, i) * 1e-3 * (i + 1) * (j + 1))))])))
            .ToList();
        Parameters Run(IEnumerable<ClientUpdate> order)
        {
            var accumulator = new DpFedAvg(new FedAvg(), Settings(clip: 0.5, z: 1.0)).StartAccumulating(Context(registered: 30), global);
            foreach (var u in order)
            {
                accumulator.Add(u);
            }

            return accumulator.Complete().Global;
        }

        // when they stream in forwards and backwards, and go through the buffered path
        var forwards = Run(updates);
        var backwards = Run(Enumerable.Reverse(updates));
        var buffered = new DpFedAvg(new FedAvg(), Settings(clip: 0.5, z: 1.0)).AggregateFit(Context(registered: 30), global, updates).Global;

        // then the three models are bit-identical
        Assert.Equal(TestParameters.Bits(forwards), TestParameters.Bits(backwards));
        Assert.Equal(TestParameters.Bits(forwards), TestParameters.Bits(buffered));
    }

    [Fact]
    public void Aggregate_AroundFedAvgM_TakesTheMomentumStepOnTheNoisedMean()
    {
        // given DP-FedAvg with negligible noise around FedAvgM, and plain FedAvgM given the uniform mean
        var dp = new DpFedAvg(new FedAvgM(serverLearningRate: 1, momentum: 0.9), Settings(clip: 10, z: 1e-6));
        var plain = new FedAvgM(serverLearningRate: 1, momentum: 0.9);
        var global = TestParameters.Filled(1f);
        ClientUpdate[] round = [Update("a", TestParameters.Filled(2f), samples: 5), Update("b", TestParameters.Filled(4f), samples: 1)];

        // when two rounds are aggregated by each
        var dpFirst = dp.AggregateFit(Context(2), global, round).Global;
        var plainFirst = plain.AggregateFit(Context(2), global, [Update("mean", TestParameters.Filled(3f))]).Global;
        var dpSecond = dp.AggregateFit(Context(2, round: 2), dpFirst, round).Global;
        var plainSecond = plain.AggregateFit(Context(2, round: 2), plainFirst, [Update("mean", TestParameters.Filled(3f))]).Global;

        // then both move alike, the momentum included (1 → 3 → 3 + (0.9·2 + 0) = 4.8)
        Near(Enumerable.Repeat(3.0, 6).ToList(), dpFirst.Values, 1e-4);
        Near([.. plainSecond.Values.ToArray().Select(v => (double)v)], dpSecond.Values, 1e-4);
        Near(Enumerable.Repeat(4.8, 6).ToList(), dpSecond.Values, 1e-4);
    }

    [Theory]
    [InlineData("krum", "robust rule")]
    [InlineData("bulyan", "robust rule")]
    [InlineData("fedmedian", "robust rule")]
    [InlineData("trimmed-mean", "robust rule")]
    [InlineData("scaffold", "unclipped and unnoised")]
    [InlineData("fednova", "unclipped and unnoised")]
    [InlineData("feddyn", "unclipped and unnoised")]
    [InlineData("feddual", "unclipped and unnoised")]
    [InlineData("norm-bounding", "it clips already")]
    public void FromConfig_WhenCentralDpWrapsAStrategyItCannotCover_NamesTheKeyAndWhy(string name, string why)
    {
        var e = Assert.Throws<ConfigurationException>(() => StrategyCatalog.FromConfig(Configure($"fedactors.strategy.name = {name}\nfedactors.privacy.mode = central")));
        Assert.Contains($"configuration key 'fedactors.strategy.name' is '{name}', which 'fedactors.privacy.mode' = central cannot wrap", e.Message);
        Assert.Contains(why, e.Message);
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedprox")]
    [InlineData("fedavgm")]
    [InlineData("fedadagrad")]
    [InlineData("fedadam")]
    [InlineData("fedyogi")]
    public void FromConfig_WithCentralDp_WrapsEverySumStyleStrategy(string name)
    {
        var strategy = StrategyCatalog.FromConfig(Configure($"fedactors.strategy.name = {name}\nfedactors.privacy.mode = central"));
        Assert.Equal($"dp-fedavg({name})", Assert.IsType<DpFedAvg>(strategy).Name);
    }

    [Theory]
    [InlineData("central.noise-multiplier = -1", "'fedactors.privacy.central.noise-multiplier' is '-1', but must be a number in (0, inf]")]
    [InlineData("central.noise-multiplier = 0", "'fedactors.privacy.central.noise-multiplier' is '0'")]
    [InlineData("central.clip = 0", "'fedactors.privacy.central.clip' is '0', but must be a number in (0, inf]")]
    [InlineData("delta = 1", "'fedactors.privacy.delta' is '1', but must be a number in (0, 1)")]
    [InlineData("delta = 0", "'fedactors.privacy.delta' is '0'")]
    [InlineData("epsilon-budget = 0.1", "'fedactors.privacy.epsilon-budget' is 0.1, but the first round alone spends epsilon")]
    [InlineData("central.adaptive-clipping { enabled = on, target-quantile = 1 }", "'fedactors.privacy.central.adaptive-clipping.target-quantile' is '1'")]
    [InlineData("central.adaptive-clipping { enabled = on, learning-rate = 0 }", "'fedactors.privacy.central.adaptive-clipping.learning-rate' is '0'")]
    [InlineData("central.adaptive-clipping { enabled = on, clip-count-stddev = -2 }", "'fedactors.privacy.central.adaptive-clipping.clip-count-stddev' is '-2'")]
    [InlineData("noise = seeded", "'fedactors.privacy.noise' is 'seeded', but must be one of secure, seeded-non-private")]
    public void FromConfig_WhenAPrivacySettingIsNonsense_NamesTheKey(string setting, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => StrategyCatalog.FromConfig(Configure($"fedactors.privacy {{ mode = central, {setting} }}")));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void FromConfig_WithAFixedClipCountNoiseThatLeavesTheUpdateNone_RefusesWithTheNumbers()
    {
        var settings = CentralDpSettings.Read(Configure("fedactors.privacy { mode = central, central.adaptive-clipping { enabled = on, clip-count-stddev = 0.5 } }"))!;
        var e = Assert.Throws<ConfigurationException>(() => settings.CheckFeasibleFor(100, "clients"));
        Assert.Contains("z^-2 = 1 is not above (2 sigma_b)^-2 = 1", e.Message);
        Assert.Contains("'fedactors.privacy.central.adaptive-clipping.clip-count-stddev'", e.Message);
    }

    [Fact]
    public void BeforeAttempt_ForEachAttemptOfARound_CountsOneStepEach()
    {
        // given q = 0.1, z = 1
        var strategy = new DpFedAvg(new FedAvg(), Settings(q: 0.1));

        // when round 1 takes two attempts (the first failed before aggregating) and aggregates the second
        Assert.Null(strategy.BeforeAttempt(Context(10, attempt: 1)));
        Assert.Null(strategy.BeforeAttempt(Context(10, attempt: 2)));
        var result = strategy.AggregateFit(Context(10, attempt: 2), TestParameters.Filled(0f), [Update("a", TestParameters.Filled(0f))]);

        // then two steps are accounted, and the reported epsilon is the accountant's for two steps
        Assert.Equal(2, result.Metrics[DpFedAvg.StepsMetric]);
        var expected = RdpAccountant.Empty.Compose(0.1, 1.0, 2).GetPrivacySpent(1e-5).Epsilon;
        Assert.Equal(expected, result.Metrics[DpFedAvg.UnguaranteedEpsilonMetric], 12);
        Assert.False(result.Metrics.ContainsKey(DpFedAvg.EpsilonMetric));
    }

    [Fact]
    public void BeforeAttempt_WhenTheNextStepWouldExceedTheBudget_SaysSoAndCountsNothing()
    {
        // given a budget between the epsilon of two and of three steps
        var two = RdpAccountant.Empty.Compose(0.1, 1.0, 2).GetPrivacySpent(1e-5).Epsilon;
        var three = RdpAccountant.Empty.Compose(0.1, 1.0, 3).GetPrivacySpent(1e-5).Epsilon;
        var strategy = new DpFedAvg(new FedAvg(), Settings(q: 0.1, secure: true, budget: (two + three) / 2));

        // when three rounds ask to start
        Assert.Null(strategy.BeforeAttempt(Context(10, round: 1)));
        Assert.Null(strategy.BeforeAttempt(Context(10, round: 2)));
        var stop = strategy.BeforeAttempt(Context(10, round: 3));

        // then the third is refused with the numbers, and the accountant stays at two steps
        Assert.NotNull(stop);
        Assert.StartsWith("privacy budget reached: round 3 would take epsilon from", stop);
        Assert.Contains("above 'fedactors.privacy.epsilon-budget'", stop);
        Assert.Equal(2, strategy.Accountant.Steps);
    }

    [Theory]
    [InlineData(AccountantKind.Rdp)]
    [InlineData(AccountantKind.Pld)]
    public void ImportState_OfAnExportedState_ContinuesWithTheSameEpsilonClipAndInnerState(AccountantKind accountant)
    {
        // given DP-FedAvg with adaptive clipping around FedAvgM after two rounds
        var adaptive = new AdaptiveClippingSettings(0.5, 0.2, null);
        var first = new DpFedAvg(new FedAvgM(), Settings(q: 0.5, adaptive: adaptive, accountant: accountant));
        var global = TestParameters.Filled(0f);
        for (var round = 1; round <= 2; round++)
        {
            first.BeforeAttempt(Context(400, round));
            global = first.AggregateFit(Context(400, round), global, [Update("a", TestParameters.Filled(0.1f))]).Global;
        }

        // when its state is exported into a fresh instance, and both aggregate round 3
        var second = new DpFedAvg(new FedAvgM(), Settings(q: 0.5, adaptive: adaptive, accountant: accountant));
        second.ImportState(first.ExportState());
        var a = first.AggregateFit(Context(400, 3), global, [Update("a", TestParameters.Filled(0.1f))]);
        var b = second.AggregateFit(Context(400, 3), global, [Update("a", TestParameters.Filled(0.1f))]);

        // then they agree on everything: epsilon, steps, clip norms, and the model (the velocity came along)
        Assert.Equal(a.Metrics, b.Metrics);
        Assert.Equal(TestParameters.Bits(a.Global), TestParameters.Bits(b.Global));
        Assert.Equal(3, b.Metrics[DpFedAvg.StepsMetric]);
    }

    [Fact]
    public void ImportState_OfAnotherStrategysCheckpoint_NamesWhatIsMissing()
    {
        var strategy = new DpFedAvg(new FedAvgM(), Settings());
        var foreign = new FedAvgM();
        foreign.AggregateFit(Context(1), TestParameters.Filled(0f), [Update("a", TestParameters.Filled(1f))]);
        var e = Assert.Throws<ArgumentException>(() => strategy.ImportState(foreign.ExportState()));
        Assert.Contains("keeps its clip norm in 'dp-fedavg.clip'", e.Message);
    }

    // Within the tolerance the (tiny) noise leaves: many of its standard deviations.
    internal static void Near(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, double tolerance)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"value {i} is {actual[i]:R}, expected {expected[i]:R} ± {tolerance:G3}");
        }
    }

    private static Config Configure(string hocon) => FedActorsConfig.Load(ConfigurationFactory.ParseString(hocon));

    // Wilson and Hilferty's approximation of χ²(k)'s quantile at the standard normal quantile z.
    internal static double ChiSquareQuantile(int k, double z) =>
        k * Math.Pow(1 - (2.0 / (9 * k)) + (z * Math.Sqrt(2.0 / (9 * k))), 3);
}
