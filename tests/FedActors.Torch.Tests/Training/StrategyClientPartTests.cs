using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Models;
using FedActors.Torch.Training;

namespace FedActors.Torch.Tests.Training;

/// <summary>The strategies' client parts (FedProx, SCAFFOLD, FedNova's step count) in the TorchSharp trainer, on a one-layer model and real data.</summary>
public sealed class StrategyClientPartTests
{
    private static readonly ClientId s_client = new("client-0");

    public StrategyClientPartTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void FedProx_OnAOneLayerModel_AddsMuTimesTheDriftToTheSecondStepsGradient()
    {
        // given one batch of 32 real images (so every step sees the same samples), plain SGD at eta = 0.5
        const float eta = 0.5f, mu = 0.4f;
        var trainer = Trainer(32);
        var global = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 3);

        // when it takes one step, two steps, and two steps with the proximal term
        var w1 = trainer.Fit(Task(global, epochs: 1, eta), CancellationToken.None).Updated;
        var w2 = trainer.Fit(Task(global, epochs: 2, eta), CancellationToken.None).Updated;
        var w2Prox = trainer.Fit(Task(global, epochs: 2, eta, (FedProx.MuKey, mu)), CancellationToken.None).Updated;

        // then the first step is the same (w = w_global there), and the second differs by exactly
        // -eta * mu * (w1 - w_global): w2' - w2 = -eta * (grad F(w1) + mu (w1 - wg)) + eta * grad F(w1)
        for (var i = 0; i < global.Length; i++)
        {
            var expected = -eta * mu * (w1.Values[i] - global.Values[i]);
            Assert.True(Math.Abs(w2Prox.Values[i] - w2.Values[i] - expected) <= 1e-5, $"value {i}: {w2Prox.Values[i] - w2.Values[i]} vs {expected}");
        }

        Assert.True(w1.Values.ToArray().Zip(global.Values.ToArray()).Any(p => p.First != p.Second), "the first step must move the model");
    }

    [Fact]
    public void Scaffold_OnTheClient_CorrectsEachStepBy_cMinus_ci_AndKeepsOptionTwosControlVariate()
    {
        // given SCAFFOLD's c sent by the server and a client with c_i = 0, one batch of 32, K = 3 steps
        const float eta = 0.5f;
        var trainer = Trainer(32);
        var global = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 4);
        var c = Parameters.Wrap(global.Layout, [.. Enumerable.Range(0, global.Length).Select(i => 0.01f * ((i % 7) - 3))]);
        var plain = trainer.Fit(Task(global, epochs: 1, eta), CancellationToken.None);

        // when it trains one step with the correction, and three steps
        var oneStep = trainer.Fit(Task(global, epochs: 1, eta) with { Extras = NamedTensors.Empty.Add(Scaffold.GlobalControlKey, c) }, CancellationToken.None);
        var threeSteps = trainer.Fit(Task(global, epochs: 3, eta) with { Extras = NamedTensors.Empty.Add(Scaffold.GlobalControlKey, c) }, CancellationToken.None);

        // then its first step is plain SGD's minus eta * (c - c_i) = eta * c,
        for (var i = 0; i < global.Length; i++)
        {
            Assert.True(Math.Abs(oneStep.Updated.Values[i] - (plain.Updated.Values[i] - (eta * c.Values[i]))) <= 1e-5, $"value {i}");
        }

        // and it keeps c_i+ = c_i - c + (x - y)/(K eta) and sends dc = c_i+ - c_i, with K counted by the trainer
        Assert.Equal(3, threeSteps.Metrics[FedNova.LocalStepsMetric]);
        var kept = threeSteps.ClientState[Scaffold.ClientControlKey];
        var sent = threeSteps.Extras[Scaffold.ControlDeltaKey];
        for (var i = 0; i < global.Length; i++)
        {
            var expected = -c.Values[i] + ((global.Values[i] - threeSteps.Updated.Values[i]) / (3 * eta));
            Assert.True(Math.Abs(kept.Values[i] - expected) <= 1e-4 * Math.Max(1, Math.Abs(expected)), $"c_i value {i}: {kept.Values[i]} vs {expected}");
            Assert.Equal(kept.Values[i], sent.Values[i]);
        }
    }

    [Fact]
    public void FedDual_WithoutPenalty_TrainsAsPlainSgdAndSendsTheDualDelta()
    {
        // given the dual state z = w_global, lambda = 0, and 3 steps at eta = 0.5 over one batch of 32
        var trainer = Trainer(32);
        var global = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 5);
        var task = Task(global, epochs: 3, 0.5f) with { Extras = NamedTensors.Empty.Add(FedDual.DualKey, global) };
        task = task with { Config = task.Config with { Hyperparameters = task.Config.Hyperparameters.Add(FedDual.OffsetKey, 0).Add(FedDual.L1Key, 0) } };

        // when it takes dual-averaging steps, and plain SGD takes the same steps
        var dual = trainer.Fit(task, CancellationToken.None);
        var sgd = trainer.Fit(Task(global, epochs: 3, 0.5f), CancellationToken.None);

        // then with h = ||w||^2 / 2 and no penalty the two coincide, and dz = w_K - w_0
        var delta = dual.Extras[FedDual.DualDeltaKey];
        for (var i = 0; i < global.Length; i++)
        {
            Assert.True(Math.Abs(dual.Updated.Values[i] - sgd.Updated.Values[i]) <= 1e-5, $"value {i}");
            Assert.True(Math.Abs(delta.Values[i] - (dual.Updated.Values[i] - global.Values[i])) <= 1e-5, $"delta {i}");
        }
    }

    [Fact]
    public void FedDual_WithAPenalty_GivesExactZerosWhereTheDualStaysWithinTheThreshold()
    {
        // given a large cumulative step offset, so the threshold offset * lambda exceeds every |z|
        var trainer = Trainer(32);
        var global = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 6);
        var task = Task(global, epochs: 1, 0.1f) with { Extras = NamedTensors.Empty.Add(FedDual.DualKey, global) };
        task = task with { Config = task.Config with { Hyperparameters = task.Config.Hyperparameters.Add(FedDual.OffsetKey, 1000).Add(FedDual.L1Key, 1) } };

        // when it trains
        var fit = trainer.Fit(task, CancellationToken.None);

        // then every weight of its primal point is exactly zero
        Assert.All(fit.Updated.Values.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Scaffold_WithLocalMomentum_MovesTheWeightsByEtaTimesTheCorrectionPerStepOutsideTheMomentum()
    {
        // given momentum 0.9, a small c (so its effect on later gradients is second order), 2 steps over one batch
        const float eta = 0.01f, correction = 0.01f;
        var trainer = Trainer(32);
        var global = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 8);
        var c = Parameters.Wrap(global.Layout, [.. Enumerable.Repeat(correction, global.Length)]);
        var plain = Task(global, epochs: 2, eta) with { Config = Task(global, 2, eta).Config with { Momentum = 0.9f } };

        // when it trains plainly and with SCAFFOLD's c (c_i = 0)
        var without = trainer.Fit(plain, CancellationToken.None).Updated;
        var with = trainer.Fit(plain with { Extras = NamedTensors.Empty.Add(Scaffold.GlobalControlKey, c) }, CancellationToken.None).Updated;

        // then the weights differ by -K eta (c - c_i) = -2e-4, as NIID-Bench's and Flower's SCAFFOLD apply it; a
        // correction through the momentum buffer would move them by -(1 + (1 + rho)) eta c = -2.9e-4 (it diverged
        // on the NIID-Bench setting), and the gradients' response to the shift is below 1e-5
        for (var i = 0; i < global.Length; i++)
        {
            var moved = with.Values[i] - without.Values[i];
            Assert.True(Math.Abs(moved - (-2 * eta * correction)) <= 3e-5, $"value {i} moved {moved}, expected {-2 * eta * correction}");
        }
    }

    [Fact]
    public void Fit_ReportsItsNumberOfLocalSteps()
    {
        // given 100 samples in batches of 32 (4 steps an epoch) and 2 epochs
        var trainer = Trainer(100);

        // when
        var fit = trainer.Fit(Task(ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 1), epochs: 2, 0.1f), CancellationToken.None);

        // then FedNova's tau_i is 8
        Assert.Equal(8, fit.Metrics[FedNova.LocalStepsMetric]);
    }

    private static ITrainer Trainer(int samples)
    {
        var data = TestEnvironment.FashionMnistSlice;
        return new TorchTrainerFactory(ModelKind.LogisticRegression, data.Train, [s_client], [Enumerable.Range(0, samples).ToArray()]).Create(s_client);
    }

    private static FitTask Task(Parameters global, int epochs, float learningRate, (string Key, double Value)? hyperparameter = null) => new(
        s_client,
        new RoundNumber(1),
        global,
        new FitConfig(epochs, 32, learningRate, 0, 0, hyperparameter is { } h ? NamedTensors.NoHyperparameters.Add(h.Key, h.Value) : NamedTensors.NoHyperparameters),
        Seed: 7,
        NamedTensors.Empty,
        NamedTensors.Empty);
}
