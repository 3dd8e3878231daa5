using System.Collections.Concurrent;
using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// When the coordinator records what DP-FedAvg spent between checkpoints (<see cref="PrivacySpentRecord"/>):
/// once an attempt's noised model exists, before anyone can read it; once an attempt failed; never
/// for an attempt abandoned before it released anything.
/// </summary>
public sealed class PrivacySpentMomentsTests : CoordinatorTestKit
{
    private static readonly string[] Ids = ["c1", "c2", "c3"];
    private readonly ConcurrentQueue<PrivacySpentRecord> _spent = new();
    private readonly ConcurrentQueue<RunCheckpoint> _checkpoints = new();
    private Task _acknowledgement = Task.CompletedTask;

    public PrivacySpentMomentsTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void AnAttemptAbandonedDuringItsFit_RecordsNothing_AndTheResumedRunDoesNotCountIt()
    {
        // given two rounds under DP-FedAvg (q = 1), round 1 completed by all three clients
        var (coordinator, listener) = Start(Settings() with { Rounds = 2 });
        var clients = RegisterClients(coordinator, Ids);
        AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();

        // when round 2's requests are out (its step composed in memory) and the run is stopped at once
        foreach (var client in clients)
        {
            client.ExpectMsg<FitRequest>();
        }

        coordinator.Tell(new StopRun("SIGTERM", FinishRound: false));
        listener.ExpectMsg<RunStopped>();

        // then the only record is round 1's release, one step, and a run resumed from it counts round 2 as its second step
        var spent = Assert.Single(_spent);
        Assert.Equal((1, 1), (spent.Round.Value, spent.Attempt));
        var (resumed, resumedListener) = Start(Settings() with { Rounds = 2 }, resume: Assert.Single(_checkpoints), resumeSpent: spent);
        AnswerAll(RegisterClients(resumed, Ids));
        Assert.Equal(2, resumedListener.ExpectMsg<RoundCompleted>().Record.Metrics[DpFedAvg.StepsMetric]);
    }

    [Fact]
    public void AReleasedModel_IsRecordedBeforeAnyClientIsAskedToEvaluateIt()
    {
        // given one round with federated evaluation on every client
        var (coordinator, _) = Start(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 3 });
        var clients = RegisterClients(coordinator, Ids);

        // when the fit is answered and the first evaluation request, which carries the noised model, arrives
        AnswerAll(clients);
        clients[0].ExpectMsg<EvaluateRequest>();

        // then the attempt's record was already saved
        var spent = Assert.Single(_spent);
        Assert.Equal((1, 1), (spent.Round.Value, spent.Attempt));
    }

    [Fact]
    public void AFailedAttempt_IsRecordedBeforeTheRetryAsks_WithItsStep()
    {
        // given one round with one retry, whose first attempt everybody fails
        var (coordinator, listener) = Start(Settings() with { MaxRoundRetries = 1 });
        var clients = RegisterClients(coordinator, Ids);
        foreach (var (client, id) in clients.Zip(Ids))
        {
            client.Reply(FailureFor(id, client.ExpectMsg<FitRequest>(), "scripted failure"));
        }

        // when the retry's request arrives
        listener.ExpectMsg<AttemptFailed>();
        clients[0].ExpectMsg<FitRequest>();

        // then attempt 1 was recorded with the one step it counted
        var spent = Assert.Single(_spent);
        Assert.Equal((1, 1), (spent.Round.Value, spent.Attempt));
        var accountant = new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(q: 1));
        accountant.ImportSpent(spent.Spent);
        Assert.Equal(1, accountant.Accountant.Steps);
    }

    [Fact]
    public void AStoreThatAcknowledgesLater_HoldsTheNoisedModelBackUntilItDoes()
    {
        // given one round with federated evaluation, and a store whose write of the record is acknowledged only when the test says so
        var acknowledged = new TaskCompletionSource();
        _acknowledgement = acknowledged.Task;
        var (coordinator, listener) = Start(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 3 });
        var clients = RegisterClients(coordinator, Ids);

        // when the fit is answered and the record handed to the store
        AnswerAll(clients);
        AwaitCondition(() => !_spent.IsEmpty);

        // then no client is asked to evaluate the noised model before the store acknowledges, and all are after
        clients[0].ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        acknowledged.SetResult();
        foreach (var (client, id) in clients.Zip(Ids))
        {
            AnswerEvaluation(client, id, samples: 1, loss: 0.1, accuracy: 0.9);
        }

        listener.ExpectMsg<RoundCompleted>();
    }

    [Fact]
    public void AStoreThatFailsToWriteTheRecord_FailsTheRunBeforeTheModelLeaves()
    {
        // given a store whose write of the record fails
        _acknowledgement = Task.FromException(new IOException("disk full"));
        var (coordinator, listener) = Start(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 3 });
        var clients = RegisterClients(coordinator, Ids);

        // when the fit is answered
        AnswerAll(clients);

        // then the run fails naming the attempt and the store's error, and nobody is asked to evaluate
        Assert.Equal("could not record the privacy spent by round 1 attempt 1: disk full", listener.ExpectMsg<RunFailed>().Reason);
        clients[0].ExpectNoMsg(TimeSpan.Zero);
    }

    private Task Save(PrivacySpentRecord record)
    {
        _spent.Enqueue(record);
        return _acknowledgement;
    }

    private (IActorRef Coordinator, Akka.TestKit.TestProbe Listener) Start(RoundCoordinatorSettings settings, RunCheckpoint? resume = null, PrivacySpentRecord? resumeSpent = null)
    {
        var listener = CreateTestProbe();
        var start = new RunStart(TestParameters.Filled(0f), 0, resume, _checkpoints.Enqueue, resumeSpent, Save);
        var strategy = new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(q: 1));
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(settings with { Sampling = SamplingRule.PoissonSeededNonPrivate }, strategy, null, listener.Ref, start));
        return (coordinator, listener);
    }

    private static void AnswerAll(Akka.TestKit.TestProbe[] clients)
    {
        foreach (var (client, id) in clients.Zip(Ids))
        {
            Answer(client, id, TestParameters.Filled(0.5f));
        }
    }
}
