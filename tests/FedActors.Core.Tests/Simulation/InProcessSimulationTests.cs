using System.Text.Json;
using Akka.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Simulation;

/// <summary>Whole simulated runs with pure-C# trainers: reproducibility, the run's outcome, and resuming from checkpoints.</summary>
public sealed class InProcessSimulationTests
{
    [Fact]
    public async Task Run_WhenRepeatedWithTheSameSeed_GivesIdenticalMetricsAndModel()
    {
        // given a 20-client run with partial sampling and two training threads
        const string config = "fedactors.run.seed = 7";

        // when it runs twice
        var first = await Run(config);
        var second = await Run(config);

        // then everything but the timings is identical, bit for bit
        Assert.True(first.Succeeded, first.FailureReason);
        Assert.Equal(Comparable(first.History), Comparable(second.History));
        Assert.Equal(first.FinalParameters!.Values.ToArray(), second.FinalParameters!.Values.ToArray());
    }

    [Fact]
    public async Task Run_WhenTheSeedChanges_SamplesOtherClients()
    {
        // given two seeds
        // when the same run uses each
        var a = await Run("fedactors.run.seed = 1");
        var b = await Run("fedactors.run.seed = 2");

        // then the rounds sample different clients
        Assert.NotEqual(a.History.Select(r => string.Join(",", r.Asked)), b.History.Select(r => string.Join(",", r.Asked)));
    }

    [Fact]
    public async Task Run_WhenFewerClientsAreRequiredThanExist_StillWaitsForEveryClientBeforeTheFirstRound()
    {
        // given min-available-clients 2 of 20 clients, which alone would let the first round
        // sample from whichever two clients happened to register first
        const string config = "fedactors.server.min-available-clients = 2";

        // when the run goes twice
        var first = await Run(config);
        var second = await Run(config);

        // then every round saw all 20 clients, and the runs agree
        Assert.All(first.History, r => Assert.Equal(20, r.Registered));
        Assert.Equal(Comparable(first.History), Comparable(second.History));
    }

    [Fact]
    public async Task Run_WhenMoreClientsAreRequiredThanExist_FailsBeforeStartingNamingTheKey()
    {
        // given min-available-clients above the number of clients
        // when the simulation starts
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => Run("fedactors.server.min-available-clients = 50"));

        // then the error names the key and the client count
        Assert.Contains("fedactors.server.min-available-clients", error.Message);
        Assert.Contains("only 20 clients", error.Message);
    }

    [Fact]
    public async Task Resume_AfterAKillFollowingRoundTwo_EndsExactlyAsTheUninterruptedRun()
    {
        // given an uninterrupted four-round run, and the same run killed right after round 2's record, checkpointing every round
        var uninterrupted = await Run(string.Empty);
        using var folder = new TempFolder();
        await RunUntilKilledAfterRoundTwo(Setup(), folder.Path);

        // when the run resumes from the newest checkpoint
        var (checkpoint, skipped) = new CheckpointFolder(folder.Path).LoadNewest();
        var resumed = await Run(string.Empty, Setup() with { Resume = checkpoint, Checkpoints = new CheckpointFolder(folder.Path) });

        // then it resumed after round 2 and ends with the same model, bit for bit, and the same history, record for record
        Assert.Equal((2, 0), (checkpoint.Server.Round.Value, skipped.Count));
        AssertSameRun(uninterrupted, resumed);
    }

    [Theory]
    [InlineData("fedavgm", new[] { "fedavgm.velocity" })]
    [InlineData("fedadam", new[] { "fedadam.m", "fedadam.v" })]
    public async Task Resume_WithAStatefulStrategyAndStatefulClients_EndsExactlyAsTheUninterruptedRun(string strategy, string[] stateTensors)
    {
        // given runs with a server optimiser (FedAvgM's velocity; FedAdam's moments and step count, bias-corrected so the count matters)
        // and clients that keep a drift in the client-state store
        SimulationSetup Stateful() => Setup(id => new StatefulTrainer(Trainer(id)), ServerOptimizer(strategy));
        var uninterrupted = await Run(string.Empty, Stateful());
        using var folder = new TempFolder();
        await RunUntilKilledAfterRoundTwo(Stateful(), folder.Path);
        var checkpoint = new CheckpointFolder(folder.Path).LoadNewest().Checkpoint;

        // when the run resumes from the checkpoint, and, to show each state matters, from copies that lost one of them
        var resumed = await Run(string.Empty, Stateful() with { Resume = checkpoint });
        var withoutClientState = await Run(string.Empty, Stateful() with { Resume = checkpoint with { ClientStates = [] } });
        var withoutStrategyState = await Run(string.Empty, Stateful() with { Resume = checkpoint with { Server = checkpoint.Server with { Strategy = StrategyState.Empty } } });

        // then the checkpoint held both states, and only the resume with both ends as the uninterrupted run
        Assert.NotEmpty(checkpoint.ClientStates);
        Assert.Equal(stateTensors, checkpoint.Server.Strategy.Tensors.Keys);
        AssertSameRun(uninterrupted, resumed);
        Assert.NotEqual(Bits(uninterrupted), Bits(withoutClientState));
        Assert.NotEqual(Bits(uninterrupted), Bits(withoutStrategyState));
    }

    [Fact]
    public async Task Resume_FromTheCheckpointOfTheLastRound_CompletesWithoutTrainingAgain()
    {
        // given a four-round run that checkpointed every round
        using var folder = new TempFolder();
        var finished = await Run(string.Empty, Setup() with { Checkpoints = new CheckpointFolder(folder.Path) });

        // when it is resumed from its newest checkpoint, round 4's
        var checkpoint = new CheckpointFolder(folder.Path).LoadNewest().Checkpoint;
        var resumed = await Run(string.Empty, Setup() with { Resume = checkpoint, Checkpoints = new CheckpointFolder(folder.Path) });

        // then it completes as the finished run did, and trains no fifth round
        Assert.Equal(4, checkpoint.Server.Round.Value);
        AssertSameRun(finished, resumed);
        Assert.Equal(["round-000003", "round-000004"], Directory.EnumerateDirectories(folder.Path).Select(Path.GetFileName).Order());
    }

    private static Task<RunOutcome> Run(string overrides) => Run(overrides, Setup());

    private static async Task<RunOutcome> Run(string overrides, SimulationSetup setup) =>
        await InProcessSimulation.RunAsync(Config(overrides), setup).WaitAsync(TimeSpan.FromSeconds(30));

    // Runs until round 2's record, then cancels, as a kill would stop it. Nothing after round 2 may
    // reach a checkpoint: the killed run's later updates are unusable, so its later attempts fail
    // (quietly: that failure is the test's doing).
    private static async Task RunUntilKilledAfterRoundTwo(SimulationSetup setup, string folder)
    {
        using var kill = new CancellationTokenSource();
        var killed = setup with { Checkpoints = new CheckpointFolder(folder), TrainerFactory = id => new UnusableAfter(2, setup.TrainerFactory(id)) };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            InProcessSimulation.RunAsync(Config("fedactors.server.max-round-retries = 0\nakka.loglevel = OFF\nakka.stdout-loglevel = OFF"), killed, r =>
            {
                if (r.Round.Value == 2 && r.Completed)
                {
                    kill.Cancel();
                }
            }, kill.Token).WaitAsync(TimeSpan.FromSeconds(30)));
    }

    private static Config Config(string overrides) =>
        // The overrides come last: in HOCON the later value wins.
        ConfigurationFactory.ParseString($$"""
            fedactors.run.rounds = 4
            fedactors.server { min-available-clients = 20, fraction-fit = 0.25, min-fit-clients = 2 }
            fedactors.training { learning-rate = 0.5, parallelism = 2 }
            akka.loglevel = WARNING
            akka.actor.serialize-messages = on
            {{overrides}}
            """);

    private static SimulationSetup Setup(Func<ClientId, ITrainer>? trainers = null, IStrategy? strategy = null) => new(
        Enumerable.Range(0, 20).Select(i => new ClientId($"client-{i:D2}")).ToList(),
        trainers ?? Trainer,
        TestParameters.Filled(0f),
        strategy ?? new FedAvg(),
        new MeanDistanceEvaluator(10f));

    private static IStrategy ServerOptimizer(string name) => name switch
    {
        "fedavgm" => new FedAvgM(),
        _ => new FedAdam(serverLearningRate: 0.1, biasCorrection: true),
    };

    private static ScriptedTrainer Trainer(ClientId id) => new(target: int.Parse(id.Value[^2..]), sampleCount: 10 + int.Parse(id.Value[^2..]));

    private static void AssertSameRun(RunOutcome expected, RunOutcome actual)
    {
        Assert.True(actual.Succeeded, actual.FailureReason);
        Assert.Equal(Bits(expected), Bits(actual));
        Assert.Equal(Comparable(expected.History), Comparable(actual.History));
    }

    private static int[] Bits(RunOutcome outcome) => TestParameters.Bits(outcome.FinalParameters!);

    private static List<string> Comparable(IEnumerable<RoundRecord> history) => Records.Comparable(history);

    // A killed process's trainer: what it trains after lastRound is NaN, which the coordinator rejects.
    private sealed class UnusableAfter(int lastRound, ITrainer inner) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation) => task.Round.Value <= lastRound
            ? inner.Fit(task, cancellation)
            : new LocalFit(Parameters.Wrap(task.Global.Layout, Enumerable.Repeat(float.NaN, task.Global.Length).ToArray()), 1, 0, 0, NamedTensors.Empty, task.ClientState);

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }
}
