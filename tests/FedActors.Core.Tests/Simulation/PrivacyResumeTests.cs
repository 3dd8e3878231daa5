using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Metrics;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Strategies;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Simulation;

/// <summary>
/// A simulated run under DP that ends in the middle of round 3 (after its releases, before its
/// checkpoint), resumed from round 2's checkpoint: the privacy its lost attempt spent still counts.
/// Every client is sampled in every round, so each release shows in the worst-off client's epsilon.
/// </summary>
public sealed class PrivacyResumeTests
{
    private static readonly LocalDpSettings Local = new(0.5, 1.0, SecureNoise: true, 1e-5, LocalDpSettings.Rdp, RdpConversion.Improved);

    [Fact]
    public async Task Resume_AfterRound3WasAbandonedOnceItsClientsHadSentTheirUpdates_CountsThoseLocalDpReleases()
    {
        // given a local-DP run whose round 3 ends, after every client sent its noised update, without a checkpoint
        // (its centralised evaluation fails, as a kill would end it there)
        using var folder = new TempFolder();
        var lost = await Run(Local4Rounds, LocalSetup(folder) with { CentralEvaluator = new FailingEvaluator(failOnCall: 4) });
        Assert.False(lost.Succeeded);
        Assert.Contains("centralised evaluation after round 3 failed", lost.FailureReason);

        // when a new process resumes after round 2 and runs to round 4
        var resumed = await ResumeAfterRound2(Local4Rounds, LocalSetup(folder), folder);

        // then each client's composed epsilon counts the lost round-3 release: 4 releases by round 3, 5 by round 4
        Assert.Equal([LocalPrivacyLoss.Composed(Local, 4), LocalPrivacyLoss.Composed(Local, 5)], [Composed(resumed, 3), Composed(resumed, 4)]);
    }

    [Fact]
    public async Task Resume_AfterAFailedAttemptThenAStop_CountsTheFailedAttemptsLocalDpReleases()
    {
        // given a local-DP run without retries whose round 3 attempt fails with one update (client-09's) of the two needed, which ends the run
        using var folder = new TempFolder();
        var failing = LocalSetup(folder) with
        {
            TrainerFactory = id => new ScriptedTrainer(Target(id), 10, task => task.Round.Value == 3 && task.Client != new ClientId("client-09") ? new InvalidOperationException("scripted") : null),
        };
        var lost = await Run(Local4Rounds, failing);
        Assert.False(lost.Succeeded);
        Assert.Contains("round 3 (attempt 1) got 1 valid updates", lost.FailureReason);

        // when a new process resumes after round 2 with clients that all train
        var resumed = await ResumeAfterRound2(Local4Rounds, LocalSetup(folder), folder);

        // then client-09, whose update in the failed attempt left it, is the worst off: 4 releases by round 3
        Assert.Equal([LocalPrivacyLoss.Composed(Local, 4), LocalPrivacyLoss.Composed(Local, 5)], [Composed(resumed, 3), Composed(resumed, 4)]);
    }

    [Fact]
    public async Task Resume_AfterRound3ReleasedItsNoisedModelAndWasAbandoned_CountsThatCentralDpStep()
    {
        // given a central-DP run (q = 1, z = 1) whose round 3 aggregates its noised model, then ends without a checkpoint
        using var folder = new TempFolder();
        var lost = await Run(Central4Rounds, CentralSetup(folder) with { CentralEvaluator = new FailingEvaluator(failOnCall: 4) });
        Assert.Contains("centralised evaluation after round 3 failed", lost.FailureReason);

        // when a new process resumes after round 2
        var resumed = await ResumeAfterRound2(Central4Rounds, CentralSetup(folder), folder);

        // then the accountant composes the lost release too: rounds 3 and 4 report 4 and 5 steps, and epsilon is theirs
        Assert.Equal([4.0, 5.0], Steps(resumed));
        Assert.Equal(RdpAccountant.Empty.Compose(1, 1, 5).GetPrivacySpent(1e-5).Epsilon, Completed(resumed, 4).Metrics[DpFedAvg.UnguaranteedEpsilonMetric], 12);
    }

    [Fact]
    public async Task Resume_AfterAFailedCentralDpAttemptThenAStop_CountsItsStepAsTheUninterruptedRunDoes()
    {
        // given a central-DP run without retries whose round 3 attempt gets no update at all, which ends the run
        using var folder = new TempFolder();
        var failing = CentralSetup(folder) with
        {
            TrainerFactory = id => new ScriptedTrainer(Target(id), 10, task => task.Round.Value == 3 ? new InvalidOperationException("scripted") : null),
        };
        var lost = await Run(Central4Rounds, failing);
        Assert.Contains("round 3 (attempt 1) got 0 valid updates", lost.FailureReason);

        // when a new process resumes after round 2
        var resumed = await ResumeAfterRound2(Central4Rounds, CentralSetup(folder), folder);

        // then the failed attempt is one step, as DP-FedAvg counts it in a run left alone (each attempt samples anew): rounds 3 and 4 report 4 and 5
        Assert.Equal([4.0, 5.0], Steps(resumed));
    }

    [Fact]
    public async Task Resume_WhenAClientsReleaseCountIsCorrupt_FailsBeforeAnyRoundNamingTheFileAndLeavesItAlone()
    {
        // given the checkpoints of two local-DP rounds, and client-03's release count overwritten with text
        using var folder = new TempFolder();
        var two = await Run(Local4Rounds.Replace("rounds = 4", "rounds = 2", StringComparison.Ordinal), LocalSetup(folder));
        Assert.True(two.Succeeded, two.FailureReason);
        var file = Path.Combine(new CheckpointFolder(folder.Path).LocalDpReleasesPath, "client-03", "local-dp-releases");
        Assert.True(File.Exists(file), file);
        File.WriteAllText(file, "two");

        // when the run is resumed
        var e = await Assert.ThrowsAsync<InvalidDataException>(() =>
            Run(Local4Rounds, LocalSetup(folder) with { Resume = new CheckpointFolder(folder.Path).LoadNewest().Checkpoint }));

        // then the error names the file, which is left as it was
        Assert.Contains(file, e.Message);
        Assert.Equal("two", File.ReadAllText(file));
    }

    [Fact]
    public async Task Resume_FromACheckpointWithoutReleaseCounts_CountsEveryAttemptItsHistoryAskedEachClientIn()
    {
        // given round 2's checkpoint of a local-DP run whose round 3 was lost, its release counts then deleted (a checkpoint copied without them)
        using var folder = new TempFolder();
        await Run(Local4Rounds, LocalSetup(folder) with { CentralEvaluator = new FailingEvaluator(failOnCall: 4) });
        Directory.Delete(new CheckpointFolder(folder.Path).LocalDpReleasesPath, recursive: true);

        // when it is resumed
        var resumed = await ResumeAfterRound2(Local4Rounds, LocalSetup(folder), folder);

        // then each client counts the two rounds of the history, and knows nothing of the lost one
        Assert.Equal([LocalPrivacyLoss.Composed(Local, 3), LocalPrivacyLoss.Composed(Local, 4)], [Composed(resumed, 3), Composed(resumed, 4)]);
    }

    [Fact]
    public async Task NewRun_InAFolderWhereAnEarlierRunWasLostInRound1_CountsOnlyItsOwnReleases()
    {
        // given a local-DP run lost in round 1, after its clients released, before any checkpoint
        using var folder = new TempFolder();
        await Run(Local4Rounds, LocalSetup(folder) with { CentralEvaluator = new FailingEvaluator(failOnCall: 2) });

        // when a new run starts in the same folder (nothing to resume: the run is started again)
        var fresh = await Run(Local4Rounds, LocalSetup(folder));

        // then its accounting is its own, as that of any run started from the initial model
        Assert.True(fresh.Succeeded, fresh.FailureReason);
        Assert.Equal(LocalPrivacyLoss.Composed(Local, 1), Composed(fresh, 1));
    }

    private const string Local4Rounds = """
        fedactors.run.rounds = 4
        fedactors.server { min-available-clients = 10, fraction-fit = 1.0, min-fit-clients = 2, max-round-retries = 0 }
        fedactors.training { learning-rate = 0.5, parallelism = 2 }
        fedactors.privacy { mode = local, local { clip = 0.5, noise-multiplier = 1.0 } }
        akka.loglevel = ERROR
        akka.actor.serialize-messages = on
        """;

    private const string Central4Rounds = """
        fedactors.run.rounds = 4
        fedactors.server { min-available-clients = 10, fraction-fit = 1.0, max-round-retries = 0 }
        fedactors.training { learning-rate = 0.5, parallelism = 2 }
        fedactors.privacy { mode = central, noise = seeded-non-private, central { clip = 1.0, noise-multiplier = 1.0 } }
        akka.loglevel = ERROR
        akka.actor.serialize-messages = on
        """;

    private static async Task<RunOutcome> ResumeAfterRound2(string config, SimulationSetup setup, TempFolder folder)
    {
        var resumed = await Run(config, setup with { Resume = new CheckpointFolder(folder.Path).LoadNewest().Checkpoint });
        Assert.True(resumed.Succeeded, resumed.FailureReason);
        Assert.Equal(3, resumed.History.First(r => r.Round.Value > 2).Round.Value);
        return resumed;
    }

    private static double Composed(RunOutcome outcome, int round) => Completed(outcome, round).Metrics[LocalPrivacyLoss.MetricComposed];

    private static double[] Steps(RunOutcome outcome) => [.. outcome.History.Where(r => r.Completed && r.Round.Value >= 3).Select(r => r.Metrics[DpFedAvg.StepsMetric])];

    private static RoundRecord Completed(RunOutcome outcome, int round) => outcome.History.Single(r => r.Round.Value == round && r.Completed);

    private static Task<RunOutcome> Run(string config, SimulationSetup setup) =>
        InProcessSimulation.RunAsync(ConfigurationFactory.ParseString(config), setup).WaitAsync(TimeSpan.FromSeconds(30));

    private static float Target(ClientId id) => int.Parse(id.Value[^2..], CultureInfo.InvariantCulture);

    private static SimulationSetup LocalSetup(TempFolder folder) => new(
        [.. Enumerable.Range(0, 10).Select(i => new ClientId($"client-{i:D2}"))],
        id => new ScriptedTrainer(Target(id), sampleCount: 10),
        TestParameters.Filled(0f),
        new FedAvg(),
        new MeanDistanceEvaluator(5f),
        new CheckpointFolder(folder.Path));

    private static SimulationSetup CentralSetup(TempFolder folder) => LocalSetup(folder) with
    {
        Strategy = new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(clip: 1, z: 1, q: 1)),
    };

    // Evaluates like MeanDistanceEvaluator, but throws on its n-th call (the initial model's is the first).
    private sealed class FailingEvaluator(int failOnCall) : ICentralEvaluator
    {
        private readonly MeanDistanceEvaluator _inner = new(5f);
        private int _calls;

        public Evaluation Evaluate(Parameters parameters) =>
            Interlocked.Increment(ref _calls) == failOnCall ? throw new IOException("scripted: the process ends here") : _inner.Evaluate(parameters);
    }
}
