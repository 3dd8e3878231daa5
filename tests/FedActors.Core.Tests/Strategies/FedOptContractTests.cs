using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// What every FedOpt strategy (FedAdagrad, FedAdam, FedYogi) must do, against a naive float64
/// scalar reference of Reddi et al.'s Algorithm 2 that each subclass completes with its own
/// second moment. The same three clients (1, 3 and 6 samples, fixed models) send their
/// updates every round, so the pseudo-gradient shrinks as the model nears their mean; the values
/// are chosen so that Yogi's sign(v − Δ²) takes both signs and is never near 0.
/// </summary>
public abstract class FedOptContractTests
{
    protected const double Eta = 0.1;
    protected const double Beta1 = 0.5;
    protected const double Beta2 = 0.75;
    protected const double Tau = 0.01;

    private static readonly float[] Start = [0f, 1f, -1f, 2f, 0.5f, -0.5f];

    private static readonly (string Id, int Samples, float[] Values)[] Clients =
    [
        ("a", 1, [1f, 0f, 2f, -1f, 0.25f, 3f]),
        ("b", 3, [0.5f, 1.5f, -2f, 1f, 0f, 1f]),
        ("c", 6, [-1f, 2f, 0f, 2.5f, 1f, -2f]),
    ];

    /// <summary>The strategy under test with η, β1, β2 (where it has one) and τ above.</summary>
    protected abstract FedOpt Create(ClientWeighting weighting);

    /// <summary>The naive second-moment rule: v(t) from v(t−1) and Δ(t)².</summary>
    protected abstract double NaiveSecondMoment(double previous, double deltaSquared);

    /// <summary>The naive step added to x at round t (from 1); Algorithm 2's by default.</summary>
    protected virtual double NaiveStep(double m, double v, int t) => Eta * m / (Math.Sqrt(v) + Tau);

    [Theory]
    [InlineData(ClientWeighting.Uniform)]
    [InlineData(ClientWeighting.SampleCount)]
    public void ThreeRounds_WithUnequalSampleCounts_FollowTheNaiveRuleForModelAndMoments(ClientWeighting weighting)
    {
        // given a fresh strategy and the naive reference's three rounds
        var strategy = Create(weighting);
        var expected = Naive(weighting, rounds: 3);
        var global = TestParameters.Of(Start);

        for (var t = 1; t <= 3; t++)
        {
            // when it aggregates round t
            global = Round(strategy, global, t).Global;

            // then the model, m, v and the step count are the reference's
            var state = strategy.ExportState();
            Close.Equal(expected[t - 1].X, global.Values, $"round {t} model");
            Close.Equal(expected[t - 1].M, state.Tensors[$"{strategy.Name}.m"].Values, $"round {t} m");
            Close.Equal(expected[t - 1].V, state.Tensors[$"{strategy.Name}.v"].Values, $"round {t} v");
            Assert.Equal(t, state.Scalars[$"{strategy.Name}.step"]);
        }
    }

    [Fact]
    public void Aggregate_ReportsThePseudoGradientNorm()
    {
        // given a fresh strategy
        var strategy = Create(ClientWeighting.Uniform);

        // when it aggregates the first round
        var result = Round(strategy, TestParameters.Of(Start), 1);

        // then the metric is ‖Δ‖₂ with Δ the plain mean of the client models minus the start
        var delta = Enumerable.Range(0, Start.Length).Select(i => Clients.Average(c => (double)c.Values[i]) - Start[i]);
        Assert.Equal(Math.Sqrt(delta.Sum(d => d * d)), result.Metrics["pseudo-gradient-norm"], 5);
    }

    [Fact]
    public void ExportState_BeforeAnyRound_IsEmpty_AndImportingItStartsAfresh()
    {
        // given a strategy that has run a round
        var used = Create(ClientWeighting.Uniform);
        Round(used, TestParameters.Of(Start), 1);

        // when a fresh strategy's empty state is imported into it
        var empty = Create(ClientWeighting.Uniform).ExportState();
        used.ImportState(empty);

        // then it was empty, and the used strategy now aggregates as a fresh one does
        Assert.True(empty.IsEmpty);
        var fresh = Create(ClientWeighting.Uniform);
        Assert.Equal(
            TestParameters.Bits(Round(fresh, TestParameters.Of(Start), 1).Global),
            TestParameters.Bits(Round(used, TestParameters.Of(Start), 1).Global));
    }

    [Fact]
    public void State_WhenExportedAndImportedIntoANewInstance_ContinuesBitForBit()
    {
        // given a strategy after two rounds, and its exported state imported into a new instance
        var original = Create(ClientWeighting.Uniform);
        var global = Round(original, TestParameters.Of(Start), 1).Global;
        global = Round(original, global, 2).Global;
        var restored = Create(ClientWeighting.Uniform);
        restored.ImportState(original.ExportState());

        // when both aggregate round 3
        var a = Round(original, global, 3);
        var b = Round(restored, global, 3);

        // then the models and the states are the same to the bit
        Assert.Equal(TestParameters.Bits(a.Global), TestParameters.Bits(b.Global));
        var (sa, sb) = (original.ExportState(), restored.ExportState());
        Assert.Equal(sa.Tensors.Keys, sb.Tensors.Keys);
        Assert.All(sa.Tensors.Keys, k => Assert.Equal(TestParameters.Bits(sa.Tensors[k]), TestParameters.Bits(sb.Tensors[k])));
        Assert.Equal(sa.Scalars, sb.Scalars);
    }

    [Fact]
    public void ImportState_OfAnotherStrategy_ThrowsNamingWhatEachHolds()
    {
        // given the states of FedAvgM and of a sibling FedOpt strategy after one round
        var strategy = Create(ClientWeighting.Uniform);
        IStrategy[] others = [new FedAvgM(), strategy is FedAdam ? new FedYogi() : new FedAdam()];
        foreach (var other in others)
        {
            Round(other, TestParameters.Of(Start), 1);

            // when one is imported
            var error = Assert.Throws<ArgumentException>(() => strategy.ImportState(other.ExportState()));

            // then the message names the strategy, what it keeps, and what it was given
            Assert.Contains($"strategy {strategy.Name} keeps tensors [{strategy.Name}.m, {strategy.Name}.v]", error.Message);
            Assert.Contains($"{other.Name}.", error.Message);
        }
    }

    [Theory]
    [InlineData("layout", "has another layout than its")]
    [InlineData("negative", "holds a negative value")]
    [InlineData("nan", "holds NaN or infinity")]
    [InlineData("step", "step is 1.5, but must be a whole number >= 1")]
    public void ImportState_WhenTheStateIsDamaged_ThrowsSayingHow(string damage, string expected)
    {
        // given this strategy's state after a round, damaged one way
        var strategy = Create(ClientWeighting.Uniform);
        Round(strategy, TestParameters.Of(Start), 1);
        var state = strategy.ExportState();
        var (m, v, step) = ($"{strategy.Name}.m", $"{strategy.Name}.v", $"{strategy.Name}.step");
        var damaged = damage switch
        {
            "layout" => state with { Tensors = state.Tensors.SetItem(v, Parameters.Zeros(new ParameterLayout([new TensorSpec("w", [6])]))) },
            "negative" => state with { Tensors = state.Tensors.SetItem(v, TestParameters.Of(1f, 1f, -1f, 1f, 1f, 1f)) },
            "nan" => state with { Tensors = state.Tensors.SetItem(m, TestParameters.Of(0f, float.NaN, 0f, 0f, 0f, 0f)) },
            _ => state with { Scalars = state.Scalars.SetItem(step, 1.5) },
        };

        // when it is imported into a fresh strategy
        var error = Assert.Throws<ArgumentException>(() => Create(ClientWeighting.Uniform).ImportState(damaged));

        // then the message says what is wrong
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Aggregate_AfterImportingTheStateOfAnotherModel_ThrowsNamingTheMismatch_AndKeepsTheState()
    {
        // given a state whose moments have a 3x2 tensor where the model has 2x2
        var other = new ParameterLayout([new TensorSpec("w", [3, 2]), new TensorSpec("b", [2])]);
        var strategy = Create(ClientWeighting.Uniform);
        var foreign = new StrategyState(
            TestParameters.Named(($"{strategy.Name}.m", Parameters.Zeros(other)), ($"{strategy.Name}.v", Parameters.Zeros(other))),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create($"{strategy.Name}.step", 4.0)]));
        strategy.ImportState(foreign);

        // when it aggregates this model's updates
        var error = Assert.Throws<ArgumentException>(() => Round(strategy, TestParameters.Of(Start), 1));

        // then the error names the tensor, and the imported state is unchanged
        Assert.Contains("does not match the global model", error.Message);
        Assert.Contains("w[3x2]", error.Message);
        Assert.Equal(4.0, strategy.ExportState().Scalars[$"{strategy.Name}.step"]);
    }

    private static AggregationResult Round(IStrategy strategy, Parameters global, int round) =>
        strategy.AggregateFit(
            new StrategyContext(new RoundNumber(round), 1, Clients.Length, Seed: 1),
            global,
            [.. Clients.Select(c => new ClientUpdate(new ClientId(c.Id), TestParameters.Of(c.Values), c.Samples, NamedTensors.Empty, NamedTensors.NoHyperparameters))]);

    // Algorithm 2, one value at a time, in float64.
    private List<(double[] X, double[] M, double[] V)> Naive(ClientWeighting weighting, int rounds)
    {
        var x = Start.Select(s => (double)s).ToArray();
        var m = new double[x.Length];
        var v = Enumerable.Repeat(Tau * Tau, x.Length).ToArray();
        var snapshots = new List<(double[], double[], double[])>();
        for (var t = 1; t <= rounds; t++)
        {
            for (var i = 0; i < x.Length; i++)
            {
                double weighted = 0, weights = 0;
                foreach (var (_, samples, values) in Clients)
                {
                    var weight = weighting == ClientWeighting.SampleCount ? samples : 1;
                    weighted += weight * (values[i] - x[i]);
                    weights += weight;
                }

                var delta = weighted / weights;
                m[i] = (Beta1 * m[i]) + ((1 - Beta1) * delta);
                v[i] = NaiveSecondMoment(v[i], delta * delta);
                x[i] += NaiveStep(m[i], v[i], t);
            }

            snapshots.Add(([.. x], [.. m], [.. v]));
        }

        return snapshots;
    }
}
