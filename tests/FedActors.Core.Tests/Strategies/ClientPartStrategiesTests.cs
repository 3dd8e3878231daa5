using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// SCAFFOLD, FedDyn, FedNova and FedProx against their papers' formulas, each expected value
/// computed here by a separate scalar formula on small inputs.
/// </summary>
public sealed class ClientPartStrategiesTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void ScaffoldClientControl_OptionTwo_IsCiMinusCPlusDriftOverKEta()
    {
        // given x, the trained y, c, c_i, K = 4 steps at eta_l = 0.5
        var x = TestParameters.Of(1, 2, 3, 4, 5, 6);
        var y = TestParameters.Of(0, 2, 5, 4, 3, 7);
        var c = TestParameters.Of(0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f);
        var ci = TestParameters.Of(1, 1, 1, 0, 0, 0);

        // when
        var next = Scaffold.ClientControl(x, y, c, ci, localSteps: 4, localLearningRate: 0.5);

        // then c_i+ = c_i - c + (x - y) / (K * eta_l), coordinate by coordinate
        var expected = Enumerable.Range(0, 6).Select(i => ci.Values[i] - c.Values[i] + ((x.Values[i] - y.Values[i]) / (4 * 0.5f))).ToArray();
        AssertClose(expected, next);
    }

    [Fact]
    public void ScaffoldServerStep_AveragesModelAndControlDeltasOverTheSampledClients()
    {
        // given x, c, two clients' models and control deltas, 10 registered clients, eta_g = 0.5
        var x = TestParameters.Filled(1f);
        var c = TestParameters.Filled(0.25f);
        Parameters[] models = [TestParameters.Filled(3f), TestParameters.Filled(-1f)];
        Parameters[] deltas = [TestParameters.Filled(1f), TestParameters.Filled(3f)];

        // when
        var (model, control) = Scaffold.ServerStep(x, c, models, deltas, serverLearningRate: 0.5, registeredClients: 10);

        // then x + eta_g * mean(y - x) = 1 + 0.5 * 0 = 1, and c + (|S|/N) * mean(dc) = 0.25 + 0.2 * 2 = 0.65
        AssertClose(Enumerable.Repeat(1f, 6).ToArray(), model);
        AssertClose(Enumerable.Repeat(0.65f, 6).ToArray(), control);
    }

    [Fact]
    public void Scaffold_WithControlVariatesAtZeroAndGlobalStepOne_IsTheUnweightedMeanOfTheUpdates()
    {
        // given a fresh SCAFFOLD (c = 0), updates with unequal sample counts and zero control deltas
        var strategy = new Scaffold(serverLearningRate: 1);
        var global = TestParameters.Filled(0f);
        var updates = new[] { Update("a", 1, TestParameters.Of(1, 2, 3, 4, 5, 6)), Update("b", 9, TestParameters.Of(3, 2, 1, 0, -1, -2)) };

        // when
        var result = strategy.AggregateFit(Context(registered: 2), global, updates).Global;

        // then it is (a + b) / 2, whatever the sample counts
        AssertClose([2, 2, 2, 2, 2, 2], result);
        Assert.True(strategy.ExportState().Tensors["c"].Values.ToArray().All(v => v == 0));
    }

    [Fact]
    public void FedDynServerStep_UpdatesHAndCorrectsTheMeanByIt()
    {
        // given theta^{t-1} = 1, h = 0.5, two participants of m = 4 at 2 and 4, alpha = 0.1
        var previous = TestParameters.Filled(1f);
        var h = TestParameters.Filled(0.5f);

        // when
        var (model, nextH) = FedDyn.ServerStep(previous, h, [TestParameters.Filled(2f), TestParameters.Filled(4f)], alpha: 0.1, registeredClients: 4);

        // then h^t = h - alpha/m * sum(theta_k - theta^{t-1}) = 0.5 - 0.1/4 * (1 + 3) = 0.4,
        // and theta^t = mean - h^t / alpha = 3 - 4 = -1
        AssertClose(Enumerable.Repeat(0.4f, 6).ToArray(), nextH);
        AssertClose(Enumerable.Repeat(-1f, 6).ToArray(), model);
    }

    [Fact]
    public void FedDynClient_AfterAFit_KeepsGradientMinusAlphaTimesItsDrift()
    {
        // given a client whose kept gradient is 0.3, alpha 0.1, global 1, and a fit that ends at 3
        var task = Task(TestParameters.Filled(1f), hyperparameter: (FedDyn.AlphaKey, 0.1), state: (FedDyn.ClientGradientKey, TestParameters.Filled(0.3f)));
        var objective = LocalObjective.For(task);

        // when
        var (_, state) = objective.Finish(TestParameters.Filled(3f), localSteps: 5);

        // then its local gradient had the linear term -0.3 and proximal alpha, and it now keeps 0.3 - 0.1 * (3 - 1) = 0.1
        Assert.Equal(0.1, objective.Proximal, 12);
        AssertClose(Enumerable.Repeat(-0.3f, 6).ToArray(), objective.Linear!);
        AssertClose(Enumerable.Repeat(0.1f, 6).ToArray(), state[FedDyn.ClientGradientKey]);
    }

    [Theory]
    [InlineData(1, 0.0)]
    [InlineData(7, 0.0)]
    [InlineData(7, 0.9)]
    [InlineData(30, 0.5)]
    public void FedNovaNormalisingFactor_IsTheTotalWeightMomentumSgdGivesItsGradients(int steps, double momentum)
    {
        // given SGD with momentum on a unit gradient, step by step: v = rho v + g; w -= v
        double velocity = 0, displacement = 0;
        for (var k = 0; k < steps; k++)
        {
            velocity = (momentum * velocity) + 1;
            displacement += velocity;
        }

        // when / then a_i is the displacement per unit of learning rate and gradient
        Assert.Equal(displacement, FedNova.NormalisingFactor(steps, momentum), 9);
    }

    [Fact]
    public void FedNovaServerStep_WithUnequalLocalSteps_NormalisesEachUpdateAndStepsByTheEffectiveSteps()
    {
        // given x = 0, client A (n = 1, tau = 2) at 4, client B (n = 3, tau = 6) at 12, no momentum
        var x = TestParameters.Filled(0f);

        // when
        var result = FedNova.ServerStep(x, [(TestParameters.Filled(4f), 1), (TestParameters.Filled(12f), 3)], [2, 6], momentum: 0);

        // then d_A = -4/2 = -2, d_B = -12/6 = -2, tau_eff = 0.25*2 + 0.75*6 = 5, x - 5 * (-2) = 10
        // (FedAvg would give 0.25*4 + 0.75*12 = 10 as well only because both drift at the same rate per step:
        // see the next case for one where they differ)
        AssertClose(Enumerable.Repeat(10f, 6).ToArray(), result);
        var skewed = FedNova.ServerStep(x, [(TestParameters.Filled(4f), 1), (TestParameters.Filled(6f), 3)], [2, 6], momentum: 0);

        // d_A = -2, d_B = -1, tau_eff = 5, x - 5 * (0.25 * -2 + 0.75 * -1) = 6.25, where FedAvg gives 5.5
        AssertClose(Enumerable.Repeat(6.25f, 6).ToArray(), skewed);
    }

    [Fact]
    public void FedNova_WithEqualLocalSteps_IsFedAvg()
    {
        // given updates with unequal sample counts and equal step counts
        var updates = new[]
        {
            Update("a", 1, TestParameters.Of(1, 2, 3, 4, 5, 6), steps: 5),
            Update("b", 3, TestParameters.Of(3, 2, 1, 0, -1, -2), steps: 5),
        };
        var nova = new FedNova();
        _ = nova.ConfigureFit(Context(2), TestParameters.Filled(0f), [], TestFit(momentum: 0.9f));

        // when
        var a = nova.AggregateFit(Context(2), TestParameters.Filled(0f), updates).Global;
        var b = new FedAvg().AggregateFit(Context(2), TestParameters.Filled(0f), updates).Global;

        // then they agree to float32 round-off (a few ulps of values about 5)
        AssertClose(b.Values.ToArray(), a);
    }

    [Fact]
    public void FedNova_WhenAClientReportsNoLocalSteps_SaysWhichClient()
    {
        // given an update without the local-steps metric
        var update = new ClientUpdate(new ClientId("silent"), TestParameters.Filled(1f), 1, NamedTensors.Empty, NamedTensors.NoHyperparameters);

        // when / then
        var error = Assert.Throws<ArgumentException>(() => new FedNova().AggregateFit(Context(1), TestParameters.Filled(0f), [update]));
        Assert.Contains("client silent reported no 'local-steps'", error.Message);
    }

    [Fact]
    public void LocalObjective_OnAQuadraticLoss_FollowsTheProximalGradientInClosedForm()
    {
        // given F(w) = ½||w - t||², FedProx mu = 0.5, eta = 0.1, K = 6 steps from w_global = 0
        const float mu = 0.5f, eta = 0.1f, target = 2f;
        var global = TestParameters.Filled(0f);
        var objective = LocalObjective.For(Task(global, hyperparameter: (FedProx.MuKey, mu)));
        var w = new float[6];
        var gradient = new float[6];

        // when SGD follows grad F + the objective's correction
        for (var k = 0; k < 6; k++)
        {
            for (var i = 0; i < 6; i++)
            {
                gradient[i] = w[i] - target;
            }

            objective.Apply(gradient, w, global.Values, ReadOnlySpan<float>.Empty);
            for (var i = 0; i < 6; i++)
            {
                w[i] -= eta * gradient[i];
            }
        }

        // then w_K = w* + (1 - eta(1 + mu))^K (w_global - w*), with w* = (t + mu w_global) / (1 + mu)
        var optimum = target / (1 + mu);
        var expected = optimum + (MathF.Pow(1 - (eta * (1 + mu)), 6) * (0 - optimum));
        Assert.All(w, v => Assert.Equal(expected, v, Tolerance));
    }

    private static void AssertClose(float[] expected, Parameters actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual.Values[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])), $"value {i}: expected {expected[i]}, got {actual.Values[i]}");
        }
    }

    private static StrategyContext Context(int registered) => new(new RoundNumber(1), 1, registered, Seed: 1);

    private static FitConfig TestFit(float momentum = 0) => new(1, 32, 0.1f, momentum, 0, NamedTensors.NoHyperparameters);

    private static ClientUpdate Update(string id, int samples, Parameters values, int? steps = null) => new(
        new ClientId(id),
        values,
        samples,
        NamedTensors.Empty.Add(Scaffold.ControlDeltaKey, Parameters.Zeros(values.Layout)),
        steps is { } t ? NamedTensors.NoHyperparameters.Add(FedNova.LocalStepsMetric, t) : NamedTensors.NoHyperparameters);

    private static FitTask Task(Parameters global, (string Key, double Value) hyperparameter, (string Key, Parameters Value)? state = null) => new(
        new ClientId("c"),
        new RoundNumber(2),
        global,
        TestFit() with { Hyperparameters = NamedTensors.NoHyperparameters.Add(hyperparameter.Key, hyperparameter.Value) },
        Seed: 1,
        NamedTensors.Empty,
        state is { } s ? TestParameters.Named((s.Key, s.Value)) : NamedTensors.Empty);
}
