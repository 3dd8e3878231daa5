using Akka.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Simulation;

/// <summary>A whole simulated run with local DP: pure-C# trainers, FedAvg on the server.</summary>
public sealed class LocalDpSimulationTests
{
    [Fact]
    public async Task Run_WithLocalDp_ReportsEachRoundsLocalEpsilonAndItsComposition()
    {
        // given 10 clients, 3 rounds of 4 sampled clients each, privacy.mode = local with z = 1
        // when it runs
        var outcome = await Run(rounds: 3, Setup());

        // then every training round's record carries one release's epsilon and, at most, the composition over its rounds so far
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        Assert.Equal(3, rounds.Count);
        var perRound = RdpAccountant.Empty.Compose(1.0, 1.0).GetPrivacySpent(1e-5).Epsilon;
        foreach (var r in rounds)
        {
            Assert.Equal(perRound, r.Metrics[LocalPrivacyLoss.MetricRound], 12);
            Assert.InRange(r.Metrics[LocalPrivacyLoss.MetricComposed], perRound, RdpAccountant.Empty.Compose(1.0, 1.0, r.Round.Value).GetPrivacySpent(1e-5).Epsilon + 1e-12);
        }
    }

    [Fact]
    public async Task Resume_WithLocalDp_ComposesOverTheReleasesBeforeTheCheckpoint()
    {
        // given an uninterrupted four-round run, and a two-round run with checkpoints
        var uninterrupted = await Run(rounds: 4, Setup());
        using var folder = new TempFolder();
        await Run(rounds: 2, Setup() with { Checkpoints = new CheckpointFolder(folder.Path) });

        // when a new process resumes after round 2 and runs to round 4
        var checkpoint = new CheckpointFolder(folder.Path).LoadNewest().Checkpoint;
        var resumed = await Run(rounds: 4, Setup() with { Resume = checkpoint, Checkpoints = new CheckpointFolder(folder.Path) });

        // then rounds 3 and 4 report the composed epsilon of the uninterrupted run, which counted every release in one process
        Assert.True(resumed.Succeeded, resumed.FailureReason);
        double Composed(RunOutcome o, int round) => o.History.Single(r => r.Round.Value == round && r.Completed).Metrics[LocalPrivacyLoss.MetricComposed];
        Assert.Equal([Composed(uninterrupted, 3), Composed(uninterrupted, 4)], [Composed(resumed, 3), Composed(resumed, 4)]);
        Assert.True(Composed(resumed, 4) > LocalPrivacyLoss.PerRound(new LocalDpSettings(0.5, 1.0, true, 1e-5, LocalDpSettings.Rdp, RdpConversion.Improved)));
    }

    [Fact]
    public async Task Run_WithLocalDpAroundKrum_AggregatesOnlyNoisedUpdatesAndReportsTheirEpsilon()
    {
        // given local DP on every client and Krum (f = 1) on the server, which needs 5 updates: half of the 10 clients a round
        // when it runs three rounds
        var outcome = await Run(rounds: 3, Setup() with { Strategy = new Krum(f: 1) }, fractionFit: 0.5);

        // then every round aggregates (the robust rule only ever sees noised updates, whose sensitivity the clients bounded) and reports the local epsilon
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        Assert.Equal(3, rounds.Count);
        Assert.All(rounds, r => Assert.Equal(5, r.Answered.Length));
        Assert.All(rounds, r => Assert.True(r.Metrics[LocalPrivacyLoss.MetricRound] > 0));
    }

    private static async Task<RunOutcome> Run(int rounds, SimulationSetup setup, double fractionFit = 0.4)
    {
        var config = ConfigurationFactory.ParseString($$"""
            fedactors.run.rounds = {{rounds}}
            fedactors.server { min-available-clients = 10, fraction-fit = {{fractionFit.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, min-fit-clients = 2 }
            fedactors.training { learning-rate = 0.5, parallelism = 2 }
            fedactors.privacy { mode = local, local { clip = 0.5, noise-multiplier = 1.0 } }
            akka.loglevel = WARNING
            akka.actor.serialize-messages = on
            """);
        return await InProcessSimulation.RunAsync(config, setup).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static SimulationSetup Setup() => new(
        [.. Enumerable.Range(0, 10).Select(i => new ClientId($"client-{i:D2}"))],
        id => new ScriptedTrainer(target: int.Parse(id.Value[^2..]), sampleCount: 10),
        TestParameters.Filled(0f),
        new FedAvg(),
        new MeanDistanceEvaluator(5f));
}
