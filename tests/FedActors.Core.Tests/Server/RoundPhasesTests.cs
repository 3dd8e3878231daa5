using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// A round as a sequence of phases (fit, then federated evaluation) through the coordinator:
/// who takes part in each, how a drop is attributed to its phase, and how a phase ends.
/// Scripted clients are TestProbes; deadlines run on virtual time.
/// </summary>
public sealed class RoundPhasesTests : CoordinatorTestKit
{
    public RoundPhasesTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Round_WhenAClientDropsAfterFitting_IsMissingFromEvaluationAndItsDropNamesThePhase()
    {
        // given fit and federated evaluation of every client, two results needed in each phase
        var (coordinator, listener) = StartCoordinator(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f));
        var failed = clients[1].ExpectMsg<FitRequest>();
        clients[1].Reply(FailureFor("c2", failed, "out of memory"));
        Answer(clients[2], "c3", TestParameters.Filled(1f));

        // when c3, which fitted, stops once it is asked to evaluate, and the others evaluate
        clients[2].ExpectMsg<EvaluateRequest>();
        Sys.Stop(clients[2].Ref);
        AnswerEvaluation(clients[0], "c1", samples: 10, loss: 1, accuracy: 0.5);
        AnswerEvaluation(clients[1], "c2", samples: 10, loss: 1, accuracy: 0.5);

        // then c2's drop is named with the fit phase, c3's with the evaluate phase, and c3 is missing from the evaluation
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(
            [("c2", "fit", DropReason.Failed), ("c3", "evaluate", DropReason.Stopped)],
            record.Dropped.Select(d => (d.Client.Value, d.Phase, d.Reason)));
        Assert.Equal(["fit", "evaluate"], record.Phases.Select(p => p.Name));
        var (fit, evaluate) = (record.Phases[0], record.Phases[1]);
        Assert.Equal(("c1,c3", "c2"), (Ids(fit.Replied), Ids(fit.Dropped.Select(d => d.Client))));
        Assert.Equal(("c1,c2,c3", "c1,c2", "c3"), (Ids(evaluate.Asked), Ids(evaluate.Replied), Ids(evaluate.Dropped.Select(d => d.Client))));
        Assert.Equal(2, record.Federated!.Clients);
    }

    [Fact]
    public void Round_WhenItsFitPhaseGetsTooFewReplies_FailsTheAttemptWithTheReason()
    {
        // given min-fit-clients 2, one retry, and a fit phase in which only c1 answers before the deadline
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxRoundRetries = 1 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f));
        clients[1].ExpectMsg<FitRequest>();
        clients[2].ExpectMsg<FitRequest>();

        // when the deadline passes
        VirtualClock.Advance(RoundTimeout);

        // then the attempt fails with a reason naming the rule and the late clients, its fit phase ended at the deadline, and the round is retried
        var record = listener.ExpectMsg<AttemptFailed>().Record;
        Assert.Contains("got 1 valid updates, fewer than min-fit-clients 2", record.Failure);
        Assert.Contains("c2 TimedOut", record.Failure);
        Assert.Contains("c3 TimedOut", record.Failure);
        var fit = Assert.Single(record.Phases);
        Assert.Equal(("fit", true, "c1"), (fit.Name, fit.DeadlineReached, Ids(fit.Replied)));
        Assert.Equal(2, clients[0].ExpectMsg<FitRequest>().Attempt);
    }

    [Fact]
    public void Round_WhenItsEvaluatePhaseGetsTooFewReplies_CompletesWithoutAFederatedSummary()
    {
        // given federated evaluation that needs three results
        var (coordinator, listener) = StartCoordinator(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(2f));
        }

        // when only two evaluate before the deadline
        AnswerEvaluation(clients[0], "c1", samples: 10, loss: 1, accuracy: 0.5);
        AnswerEvaluation(clients[1], "c2", samples: 10, loss: 1, accuracy: 0.5);
        clients[2].ExpectMsg<EvaluateRequest>();
        VirtualClock.Advance(RoundTimeout);

        // then the round, whose model is already aggregated, completes; it records the evaluation's drop but no summary
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Null(record.Federated);
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c3", "evaluate", DropReason.TimedOut), (drop.Client.Value, drop.Phase, drop.Reason));
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void FitPhase_WithFitFirstReplies_ClosesAtThatManyValidUpdatesAndNamesTheRestNotNeeded()
    {
        // given over-selection: 3 sampled, the fit phase closes at its first 2 valid updates
        var (coordinator, listener) = StartCoordinator(Settings() with { FitFirstReplies = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var slow = clients[0].ExpectMsg<FitRequest>();

        // when c3 and c2 answer first, and c1 answers after the phase closed
        Answer(clients[2], "c3", TestParameters.Filled(2f));
        Answer(clients[1], "c2", TestParameters.Filled(4f));
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        clients[0].Reply(FitResultFor("c1", slow, TestParameters.Filled(100f)));

        // then the phase closed without waiting for its deadline, aggregated the two, and names c1 not needed
        Assert.Equal("c2,c3", Ids(record.Answered));
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c1", "fit", DropReason.NotNeeded), (drop.Client.Value, drop.Phase, drop.Reason));
        Assert.Contains("fit-first-replies", drop.Detail);
        Assert.False(record.Phases[0].DeadlineReached);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(3f, v));
    }

    // Comma-joined, so that tuples of them compare by value.
    private static string Ids(IEnumerable<ClientId> clients) => string.Join(",", clients.Select(c => c.Value));
}
