using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Strategies;

public sealed class NormBoundingTests : RobustStrategyContractTests
{
    protected override string Hocon => "fedactors.strategy { name = norm-bounding, norm-bounding.inner = fedmedian }";

    protected override string ExpectedName => "norm-bounding(fedmedian)";

    protected override int ExpectedMinimumUpdates => 1;

    [Fact]
    public void FromConfig_WithTheDefaults_BoundsFedAvgAtFive()
    {
        // when the catalog builds norm-bounding from reference.conf
        var strategy = Assert.IsType<NormBounding>(StrategyCatalog.FromConfig(Configure("fedactors.strategy.name = norm-bounding")));

        // then it wraps FedAvg with the documented bound
        Assert.Equal(("norm-bounding(fedavg)", 5.0), (strategy.Name, strategy.Bound));
    }

    [Fact]
    public void FromConfig_WithAnInnerStrategy_ReadsTheInnersOwnBlock()
    {
        // when the catalog builds norm-bounding over Krum with f = 2
        var strategy = StrategyCatalog.FromConfig(Configure("""
            fedactors.strategy {
              name = norm-bounding
              norm-bounding { inner = krum, bound = 0.5 }
              krum.f = 2
            }
            """));

        // then Krum's minimum and rule are the wrapper's
        Assert.Equal(("norm-bounding(krum)", 7), (strategy.Name, strategy.MinimumUpdates));
        Assert.StartsWith("n > 2f + 2 = 6 updates with f = 2", strategy.MinimumUpdatesRule);
        Assert.Equal(0.5, Assert.IsType<NormBounding>(strategy).Bound);
    }

    [Theory]
    [InlineData("norm-bounding.bound = 0", "'fedactors.strategy.norm-bounding.bound' is '0', but must be a number in (0, inf]")]
    [InlineData("norm-bounding.inner = norm-bounding", "'fedactors.strategy.norm-bounding.inner' is 'norm-bounding', but must be one of fedavg, ")]
    [InlineData("norm-bounding.inner = krum, krum.f = -1", "'fedactors.strategy.krum.f' is '-1'")]
    public void FromConfig_WhenASettingIsInvalid_NamesTheKey(string setting, string expected)
    {
        Assert.Contains(expected, ConfigurationError($"fedactors.strategy {{ name = norm-bounding, {setting} }}").Message);
    }

    [Fact]
    public void Aggregate_WhenADeltaExceedsTheBound_ScalesItToExactlyTheBound()
    {
        // given a global model of ones and an update whose delta is (6, 8, 0, 0, 0, 0), of norm 10
        var global = TestParameters.Filled(1f);
        var update = Update(0, 7, 9, 1, 1, 1, 1);

        // when bounded at 5 over FedAvg
        var result = new NormBounding(new FedAvg(), bound: 5).AggregateFit(Context(1), global, [update]);

        // then the delta is halved to (3, 4, 0, ...), of norm exactly 5, and the round counts one clipped update
        Assert.Equal([4f, 5f, 1f, 1f, 1f, 1f], result.Global.Values.ToArray());
        Assert.Equal(5.0, NaiveRobustRules.Distance(result.Global.Values, global.Values));
        Assert.Equal(1.0, result.Metrics[NormBounding.ClippedMetric]);
    }

    [Fact]
    public void Aggregate_OnSeededLargeDeltas_HandsTheInnerStrategyEachDeltaScaledToTheBound()
    {
        // given a seeded global model and five updates whose deltas are far beyond 2.5
        var global = RandomUpdates(seed: 9, 1, Wide)[0].Parameters;
        var updates = RandomUpdates(seed: 10, 5, Wide);
        var inner = new RecordingStrategy();

        // when bounded at 2.5
        var result = new NormBounding(inner, bound: 2.5).AggregateFit(Context(5), global, updates);

        // then the inner strategy saw w_global + delta * 2.5 / ||delta||, of norm 2.5, for each
        Assert.Equal(5.0, result.Metrics[NormBounding.ClippedMetric]);
        Assert.All(Enumerable.Range(0, 5), k =>
        {
            var seen = inner.Aggregated[k].Parameters.Values.ToArray();
            var sent = updates[k].Parameters.Values.ToArray();
            var g = global.Values.ToArray();
            var scale = 2.5 / NaiveRobustRules.Distance(sent, g);
            Assert.Equal(2.5, NaiveRobustRules.Distance(seen, g), 1e-5);
            Assert.All(Enumerable.Range(0, g.Length), j => Assert.Equal(g[j] + ((sent[j] - g[j]) * scale), seen[j], 1e-5));
            Assert.Equal(updates[k].Client, inner.Aggregated[k].Client);
        });
    }

    [Fact]
    public void Aggregate_WhenDeltasAreWithinOrAtTheBound_PassesThemUnchanged()
    {
        // given deltas of norm 5 (3, 4, 0, ...) and 1 from a global model of ones
        var global = TestParameters.Filled(1f);
        var updates = new[] { Update(0, 4, 5, 1, 1, 1, 1), Update(1, 1, 1, 2, 1, 1, 1) };
        var inner = new RecordingStrategy();

        // when bounded at 5
        var result = new NormBounding(inner, bound: 5).AggregateFit(Context(2), global, updates);

        // then the inner strategy got the very same updates, and none counts as clipped
        Assert.Equal(updates.Select(u => TestParameters.Bits(u.Parameters)), inner.Aggregated.Select(u => TestParameters.Bits(u.Parameters)));
        Assert.Equal(0.0, result.Metrics[NormBounding.ClippedMetric]);
        Assert.Equal(7.0, result.Metrics["inner-metric"]);
    }

    [Fact]
    public void EveryOtherMember_PassesThroughToTheInnerStrategy()
    {
        // given a wrapper around a scripted inner strategy
        var inner = new RecordingStrategy();
        var strategy = new NormBounding(inner, bound: 1);
        var baseConfig = new FitConfig(1, 32, 0.1f, 0f, 0f, NamedTensors.NoHyperparameters);
        var evaluation = new ClientEvaluation(new ClientId("c00"), 10, 0.5, 0.5);

        // when asked for its minimum, fit plan, evaluation summary and state
        var plan = strategy.ConfigureFit(Context(3), TestParameters.Filled(0f), [new ClientId("c00")], baseConfig);
        var summary = strategy.AggregateEvaluate(Context(3), [evaluation]);
        strategy.ImportState(RecordingStrategy.State);

        // then each answer is the inner strategy's
        Assert.Equal((4, "four of them"), (strategy.MinimumUpdates, strategy.MinimumUpdatesRule));
        Assert.Equal(0.25f, plan.Common.Config.LearningRate);
        Assert.Equal(new EvaluationSummary(99, 99, 9, 0.9), summary);
        Assert.Same(RecordingStrategy.State, inner.Imported);
        Assert.Same(RecordingStrategy.State, strategy.ExportState());
    }

    [Fact]
    public void StartAccumulating_WhenTheInnerStreams_ClipsEachUpdateAsItArrives()
    {
        // given a wrapper at bound 5 around a streaming inner strategy, from a global model of ones
        var inner = new RecordingStrategy();
        var global = TestParameters.Filled(1f);
        var accumulator = new NormBounding(inner, bound: 5).StartAccumulating(Context(2), global);

        // when an update of delta norm 10 and one of norm 1 stream in
        Assert.NotNull(accumulator);
        accumulator.Add(Update(0, 7, 9, 1, 1, 1, 1));
        accumulator.Add(Update(1, 1, 1, 2, 1, 1, 1));
        var result = accumulator.Complete();

        // then the inner accumulator got the first clipped to norm 5 and the second as it was
        Assert.Equal([[4f, 5f, 1f, 1f, 1f, 1f], [1f, 1f, 2f, 1f, 1f, 1f]], inner.Streamed.Select(u => u.Parameters.Values.ToArray()));
        Assert.Equal(1.0, result.Metrics[NormBounding.ClippedMetric]);
    }

    [Fact]
    public void ExportAndImport_OverAStatefulInner_RoundTripItsState()
    {
        // given server momentum wrapped after one round
        var first = new NormBounding(new FedAvgM(serverLearningRate: 1, momentum: 0.9), bound: 100);
        first.AggregateFit(Context(2), TestParameters.Filled(0f), [Update(0, 1, 2, 3, 4, 5, 6), Update(1, 3, 2, 1, 0, 1, 2)]);
        var state = first.ExportState();

        // when a fresh wrapper imports its state
        var second = new NormBounding(new FedAvgM(serverLearningRate: 1, momentum: 0.9), bound: 100);
        second.ImportState(state);

        // then the velocity is the inner strategy's, and comes back out the same
        var velocity = Assert.Single(state.Tensors.Keys);
        Assert.Contains("velocity", velocity);
        Assert.Equal(TestParameters.Bits(state.Tensors[velocity]), TestParameters.Bits(second.ExportState().Tensors[velocity]));
        Assert.Equal(state.Scalars, second.ExportState().Scalars);
    }

    // An inner strategy whose every answer is recognisable, and that records what it is given.
    private sealed class RecordingStrategy : IStrategy
    {
        public static readonly StrategyState State = new(NamedTensors.Empty, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("steps", 3.0)]));

        public List<ClientUpdate> Aggregated { get; } = [];

        public List<ClientUpdate> Streamed { get; } = [];

        public StrategyState? Imported { get; private set; }

        public string Name => "recording";

        public int MinimumUpdates => 4;

        public string MinimumUpdatesRule => "four of them";

        public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
        {
            Aggregated.AddRange(updates);
            return new AggregationResult(global, NamedTensors.NoHyperparameters.Add("inner-metric", 7.0));
        }

        public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, FitConfig baseConfig) =>
            FitPlan.Same(new FitInstructions(baseConfig with { LearningRate = 0.25f }, NamedTensors.Empty));

        public IUpdateAccumulator StartAccumulating(StrategyContext context, Parameters global) => new Recorder(this, global);

        public EvaluationSummary AggregateEvaluate(StrategyContext context, IReadOnlyList<ClientEvaluation> results) => new(99, 99, 9, 0.9);

        public StrategyState ExportState() => Imported ?? StrategyState.Empty;

        public void ImportState(StrategyState state) => Imported = state;

        private sealed class Recorder(RecordingStrategy owner, Parameters global) : IUpdateAccumulator
        {
            public void Add(ClientUpdate update) => owner.Streamed.Add(update);

            public AggregationResult Complete() => AggregationResult.Of(global);
        }
    }
}
