using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// The round state machine against scripted clients (TestProbes), with every message through
/// the serializer and deadlines on virtual time.
/// </summary>
public sealed class RoundCoordinatorTests : CoordinatorTestKit
{
    // The test event listener lets a test wait for a log line (EventFilter) where nothing else shows the state it waits for.
    public RoundCoordinatorTests()
        : base(TestConfigs.VirtualTime("akka.loggers = [\"Akka.TestKit.TestEventListener, Akka.TestKit\"]"))
    {
    }

    [Fact]
    public void Round_WhenAllClientsAnswer_SetsTheSampleWeightedMeanAsTheGlobalModel()
    {
        // given three clients that answer with constant models and different sample counts
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when they answer
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(5f), samples: 3);
        Answer(clients[2], "c3", TestParameters.Filled(2f), samples: 4);

        // then the new model is (1*1 + 3*5 + 4*2) / 8 = 3 everywhere, and nobody was dropped
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c2", "c3"], record.Answered.Select(c => c.Value));
        Assert.Empty(record.Dropped);
        var final = listener.ExpectMsg<RunCompleted>().Final;
        Assert.All(final.Values.ToArray(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void Round_AfterTheFirst_SendsThePreviousRoundsAggregateNotTheInitialModel()
    {
        // given a three-round run from an all-zero model
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var sent = new List<FitRequest>();

        // when, each round, the clients answer with models whose weighted mean is 10 times the round
        for (var round = 1; round <= 3; round++)
        {
            sent.Add(Answer(clients[0], "c1", TestParameters.Filled(10f * round), samples: 2));
            Answer(clients[1], "c2", TestParameters.Filled((10f * round) - 3), samples: 1);
            Answer(clients[2], "c3", TestParameters.Filled((10f * round) + 3), samples: 1);
            listener.ExpectMsg<RoundCompleted>();
        }

        // then round 1 starts from the initial model and round N from round N-1's aggregate
        Assert.Equal([1, 2, 3], sent.Select(r => r.Round.Value));
        Assert.Equal([0f, 10f, 20f], sent.Select(r => Assert.Single(r.Global.Values.ToArray().Distinct())));
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(30f, v));
    }

    [Fact]
    public void Round_WhenOneClientTimesOut_AggregatesTheRestAndNamesIt()
    {
        // given three clients of which c3 never answers
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(3f), samples: 1);
        clients[2].ExpectMsg<FitRequest>();

        // when the round's deadline passes
        VirtualClock.Advance(RoundTimeout);

        // then the round aggregates c1 and c2 and names c3 as timed out
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c2"], record.Answered.Select(c => c.Value));
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c3", DropReason.TimedOut), (drop.Client.Value, drop.Reason));
        Assert.Contains("round-timeout", drop.Detail);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Round_WhenAClientAnswersAfterTheDeadline_IgnoresTheLateUpdate()
    {
        // given a two-round run where c3 misses round 1's deadline
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        var late = clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);
        listener.ExpectMsg<RoundCompleted>();

        // when its round-1 update arrives during round 2
        clients[2].Send(coordinator, FitResultFor("c3", late, TestParameters.Filled(100f)));
        Answer(clients[0], "c1", TestParameters.Filled(2f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(2f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(2f), samples: 1);

        // then round 2 aggregates only round-2 updates
        var round2 = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(3, round2.Answered.Length);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(2f, v));
    }

    [Fact]
    public void Round_WhenAClientStops_DropsItWithoutWaitingForTheDeadline()
    {
        // given three clients, two of which answer
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        clients[2].ExpectMsg<FitRequest>();

        // when the third client's actor stops
        Sys.Stop(clients[2].Ref);

        // then the round completes at once, naming it as stopped
        var drop = Assert.Single(listener.ExpectMsg<RoundCompleted>().Record.Dropped);
        Assert.Equal(("c3", DropReason.Stopped), (drop.Client.Value, drop.Reason));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "infinity")]
    public void Round_WhenAnUpdateIsNotFinite_RejectsItAndNamesTheClient(float poison, string expectedDetail)
    {
        // given three clients, one of which sends a poisoned update
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when they answer
        Answer(clients[0], "c1", TestParameters.Of(1, 1, 1, poison, 1, 1), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(4f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(6f), samples: 1);

        // then the poisoned update is dropped as invalid and the rest are averaged
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c1", DropReason.InvalidUpdate), (drop.Client.Value, drop.Reason));
        Assert.Contains(expectedDetail, drop.Detail);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void Round_WhenAClientClaimsMoreSamplesThanTheMeanCanWeigh_DropsItsUpdateAndAveragesTheRest()
    {
        // given three clients, one of which claims int.MaxValue samples: n_k * max|w_k| beyond the fixed-point mean's 2^31
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when they answer
        Answer(clients[0], "c1", TestParameters.Filled(3f), samples: int.MaxValue);
        Answer(clients[1], "c2", TestParameters.Filled(4f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(6f), samples: 1);

        // then that update is dropped as invalid, naming the range, and the run goes on with the others' mean
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c1", DropReason.InvalidUpdate), (drop.Client.Value, drop.Reason));
        Assert.Contains("sample count", drop.Detail);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(5f, v));
    }

    [Fact]
    public void Round_WhenAnUpdateHasTheWrongShapes_RejectsItAndSaysWhichTensor()
    {
        // given three clients, one of which answers with a differently shaped model
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var wrongLayout = new ParameterLayout([new TensorSpec("w", [4]), new TensorSpec("b", [2])]);

        // when they answer
        Answer(clients[0], "c1", Parameters.Zeros(wrongLayout), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(1f), samples: 1);

        // then it is dropped with a message naming the tensor
        var drop = Assert.Single(listener.ExpectMsg<RoundCompleted>().Record.Dropped);
        Assert.Equal(DropReason.InvalidUpdate, drop.Reason);
        Assert.Contains("w[4]", drop.Detail);
        Assert.Contains("w[2x2]", drop.Detail);
    }

    [Fact]
    public void Round_WhenAnUpdateExceedsTheNormBound_RejectsIt()
    {
        // given a norm bound of 10 on updates
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxUpdateNorm = 10 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when c1's update has norm sqrt(6 * 100^2) ~ 245
        Answer(clients[0], "c1", TestParameters.Filled(100f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(1f), samples: 1);

        // then it is dropped
        var drop = Assert.Single(listener.ExpectMsg<RoundCompleted>().Record.Dropped);
        Assert.Equal(("c1", DropReason.InvalidUpdate), (drop.Client.Value, drop.Reason));
        Assert.Contains("exceeds max-update-norm", drop.Detail);
    }

    [Fact]
    public void Round_WhenAnUnregisteredActorClaimsAClientsId_IgnoresItsUpdate()
    {
        // given three registered clients and an impostor
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var request = clients[0].ExpectMsg<FitRequest>();
        var impostor = CreateTestProbe();

        // when the impostor sends a poisoned model in c1's name, then the real clients answer
        impostor.Send(coordinator, FitResultFor("c1", request, TestParameters.Filled(1000f), 1000));
        clients[0].Reply(FitResultFor("c1", request, TestParameters.Filled(1f)));
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(1f), samples: 1);

        // then only the real updates count
        listener.ExpectMsg<RoundCompleted>();
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Round_WhenTooFewAnswersAndAcceptFailuresIsOff_FailsTheRunNamingEveryDrop()
    {
        // given min-fit-clients 2, no retries, and one client that fails while another stops
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxRoundRetries = 0 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        var request = clients[1].ExpectMsg<FitRequest>();
        clients[1].Reply(FailureFor("c2", request, "out of memory"));
        clients[2].ExpectMsg<FitRequest>();

        // when the third client stops
        Sys.Stop(clients[2].Ref);

        // then the attempt is recorded as failed, and the run fails with a reason that names the rule and each dropped client
        var attempt = listener.ExpectMsg<AttemptFailed>().Record;
        var failed = listener.ExpectMsg<RunFailed>();
        Assert.Contains("fewer than min-fit-clients 2", failed.Reason);
        Assert.Contains("c2 Failed: out of memory", failed.Reason);
        Assert.Contains("c3 Stopped", failed.Reason);
        Assert.Equal(attempt.Failure, Assert.Single(failed.History).Failure);
        Assert.Equal(["c2", "c3"], attempt.Dropped.Select(d => d.Client.Value));
    }

    [Fact]
    public void Round_WhenTooFewAnswersAndAcceptFailuresIsOn_AggregatesWhatArrived()
    {
        // given accept-failures on
        var (coordinator, listener) = StartCoordinator(Settings() with { AcceptFailures = true });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when only c1 answers before the deadline
        Answer(clients[0], "c1", TestParameters.Filled(7f), samples: 1);
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);

        // then the round completes with c1 alone
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1"], record.Answered.Select(c => c.Value));
        Assert.Equal(2, record.Dropped.Length);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(7f, v));
    }

    [Fact]
    public void Round_WhenAnAttemptFailsAndRetriesRemain_RetriesTheRound()
    {
        // given one retry and an attempt in which only c1 answers
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxRoundRetries = 1 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);

        // when everybody answers the second attempt
        clients[1].ExpectMsg<FitRequest>();
        Answer(clients[0], "c1", TestParameters.Filled(3f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(3f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(3f), samples: 1);

        // then attempt 1 is recorded as failed, and the round completes as attempt 2
        Assert.Equal(1, listener.ExpectMsg<AttemptFailed>().Record.Attempt);
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(2, record.Attempt);
        Assert.Equal(3, record.Answered.Length);
    }

    [Fact]
    public void Round_WhenAReplyToAFailedAttemptArrivesDuringTheRetry_IgnoresIt()
    {
        // given one retry, and an attempt 1 in which c2 and c3 miss the deadline
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxRoundRetries = 1 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        var stale = clients[1].ExpectMsg<FitRequest>();
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);
        var retry = clients[1].ExpectMsg<FitRequest>();

        // when c2's answer to attempt 1 arrives during attempt 2, then everybody answers attempt 2
        clients[1].Send(coordinator, FitResultFor("c2", stale, TestParameters.Filled(100f)));
        Answer(clients[0], "c1", TestParameters.Filled(3f), samples: 1);
        clients[1].Reply(FitResultFor("c2", retry, TestParameters.Filled(3f)));
        Answer(clients[2], "c3", TestParameters.Filled(3f), samples: 1);

        // then attempt 2 aggregates only its own updates
        Assert.Equal((1, 2), (stale.Attempt, retry.Attempt));
        listener.ExpectMsg<AttemptFailed>();
        Assert.Equal(2, listener.ExpectMsg<RoundCompleted>().Record.Attempt);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(3f, v));
    }

    [Fact]
    public void Run_WhenTooFewClientsRegisterInTime_FailsSayingHowMany()
    {
        // given a coordinator that needs three clients, and one that registered
        var settings = Settings();
        var (coordinator, listener) = StartCoordinator(settings);
        RegisterClients(coordinator, "c1");

        // when the registration timeout passes
        VirtualClock.Advance(settings.RegistrationTimeout);

        // then the run fails saying how many registered
        var failed = listener.ExpectMsg<RunFailed>();
        Assert.Contains("only 1 of the 3 clients", failed.Reason);
    }

    [Fact]
    public void Run_WithACentralEvaluator_RecordsTheInitialModelAsRoundZeroAndEvaluatesEachRound()
    {
        // given a central evaluator whose loss is the distance of the model from 4
        var (coordinator, listener) = StartCoordinator(Settings(), new MeanDistanceEvaluator(4f));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when the clients move the model from 0 to 3
        Answer(clients[0], "c1", TestParameters.Filled(3f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(3f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(3f), samples: 1);

        // then round 0 has the initial model's loss 4, round 1 the new model's loss 1
        var round0 = listener.ExpectMsg<RoundCompleted>().Record;
        var round1 = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal((0, 4.0), (round0.Round.Value, round0.TestLoss!.Value));
        Assert.Equal((1, 1.0), (round1.Round.Value, round1.TestLoss!.Value));
    }

    [Fact]
    public void Sampling_WithFractionOfRegisteredClients_AsksOnlyTheSampledOnes()
    {
        // given ten clients, fraction-fit 0.3 and min-fit-clients 2
        var settings = Settings() with { FractionFit = 0.3, MinAvailableClients = 10 };
        var (coordinator, _) = StartCoordinator(settings);
        var ids = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        var clients = RegisterClients(coordinator, ids);

        // when the round starts
        var expected = ClientSampler.Sample(ids.Select(i => new ClientId(i)), 0.3, 2, SeedDerivation.ForRound(settings.Seed, "sample", new RoundNumber(1), 1));

        // then exactly the seeded sample of three is asked
        Assert.Equal(3, expected.Length);
        for (var i = 0; i < ids.Length; i++)
        {
            if (expected.Contains(new ClientId(ids[i])))
            {
                clients[i].ExpectMsg<FitRequest>();
            }
            else
            {
                clients[i].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    [Fact]
    public void Retry_WhenRegistrationsFellBelowTheMinimum_KeepsCountingAttempts()
    {
        // given min-available 3, min-fit 3, one retry, and a first attempt that fails because c3 stops
        var (coordinator, _) = StartCoordinator(Settings() with { MaxRoundRetries = 1, MinFitClients = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f));
        Answer(clients[1], "c2", TestParameters.Filled(1f));
        clients[2].ExpectMsg<FitRequest>();
        EventFilter.Warning(contains: "waiting").ExpectOne(() => Sys.Stop(clients[2].Ref));

        // when c3 comes back
        Register(coordinator, "c3");

        // then the round runs again as attempt 2, not as a fresh attempt 1
        Assert.Equal(2, clients[0].ExpectMsg<FitRequest>().Attempt);
    }

    [Fact]
    public void Validation_WithANormBound_BoundsTheUpdateNotTheWeights()
    {
        // given a global model of 100s and a norm bound of 10
        var (coordinator, listener) = StartCoordinator(Settings() with { MaxUpdateNorm = 10, MinFitClients = 1, AcceptFailures = true }, initial: TestParameters.Filled(100f));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when c1 moves every weight by 1 (update norm 2.45, weights' norm 247) and c2 moves them to 0 (update norm 245)
        Answer(clients[0], "c1", TestParameters.Filled(101f));
        Answer(clients[1], "c2", TestParameters.Filled(0f));
        Answer(clients[2], "c3", TestParameters.Filled(99f));

        // then the small update counts and the large one is dropped
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c3"], record.Answered.Select(c => c.Value));
        Assert.Equal("c2", Assert.Single(record.Dropped).Client.Value);
    }

    [Fact]
    public void FirstRoundRetry_WithoutACentralEvaluator_WaitsForMinAvailableNotForEveryClient()
    {
        // given four simulated clients, min-available 3 and a first attempt in which c4 and c3 stop
        var (coordinator, _) = StartCoordinator(Settings() with { MaxRoundRetries = 1, MinFitClients = 3 }, clientsBeforeFirstRound: 4);
        var clients = RegisterClients(coordinator, "c1", "c2", "c3", "c4");
        Answer(clients[0], "c1", TestParameters.Filled(1f));
        Answer(clients[1], "c2", TestParameters.Filled(1f));
        clients[2].ExpectMsg<FitRequest>();
        clients[3].ExpectMsg<FitRequest>();
        Sys.Stop(clients[3].Ref);
        EventFilter.Warning(contains: "waiting").ExpectOne(() => Sys.Stop(clients[2].Ref));

        // when only c3 comes back (3 registered: min-available, not all four)
        Register(coordinator, "c3");

        // then the retry starts
        clients[0].ExpectMsg<FitRequest>();
    }
}
