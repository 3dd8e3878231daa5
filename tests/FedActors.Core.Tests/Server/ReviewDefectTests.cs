using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>The defects the review of the first core found, each pinned by the scenario that exposed it.</summary>
public sealed class ReviewDefectTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);

    public ReviewDefectTests()
        : base(TestConfigs.VirtualTime("akka.loggers = [\"Akka.TestKit.TestEventListener, Akka.TestKit\"]"))
    {
    }

    [Fact]
    public void Retry_WhenRegistrationsFellBelowTheMinimum_KeepsCountingAttempts()
    {
        // given min-available 3, min-fit 3, one retry, and a first attempt that fails because c3 stops
        var listener = CreateTestProbe();
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(Settings() with { MaxRoundRetries = 1, MinFitClients = 3 }, new FedAvg(), TestParameters.Filled(0f), null, listener.Ref));
        var c1 = Register(coordinator, "c1");
        var c2 = Register(coordinator, "c2");
        var c3 = Register(coordinator, "c3");
        Answer(c1, "c1", TestParameters.Filled(1f));
        Answer(c2, "c2", TestParameters.Filled(1f));
        c3.ExpectMsg<FitRequest>();
        EventFilter.Warning(contains: "waiting").ExpectOne(() => Sys.Stop(c3.Ref));

        // when c3 comes back
        Register(coordinator, "c3");

        // then the round runs again as attempt 2, not as a fresh attempt 1
        Assert.Equal(2, c1.ExpectMsg<FitRequest>().Attempt);
    }

    [Fact]
    public void Validation_WithANormBound_BoundsTheUpdateNotTheWeights()
    {
        // given a global model of 100s and a norm bound of 10
        var listener = CreateTestProbe();
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(Settings() with { MaxUpdateNorm = 10, MinFitClients = 1, AcceptFailures = true }, new FedAvg(), TestParameters.Filled(100f), null, listener.Ref));
        var c1 = Register(coordinator, "c1");
        var c2 = Register(coordinator, "c2");
        var c3 = Register(coordinator, "c3");

        // when c1 moves every weight by 1 (update norm 2.45, weights' norm 247) and c2 moves them to 0 (update norm 245)
        Answer(c1, "c1", TestParameters.Filled(101f));
        Answer(c2, "c2", TestParameters.Filled(0f));
        Answer(c3, "c3", TestParameters.Filled(99f));

        // then the small update counts and the large one is dropped
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c3"], record.Answered.Select(c => c.Value));
        Assert.Equal("c2", Assert.Single(record.Dropped).Client.Value);
    }

    [Fact]
    public void FirstRoundRetry_WithoutACentralEvaluator_WaitsForMinAvailableNotForEveryClient()
    {
        // given four simulated clients, min-available 3 and a first attempt in which c4 and c3 stop
        var listener = CreateTestProbe();
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(Settings() with { MaxRoundRetries = 1, MinFitClients = 3 }, new FedAvg(), TestParameters.Filled(0f), null, listener.Ref, clientsBeforeFirstRound: 4));
        var clients = new[] { "c1", "c2", "c3", "c4" }.Select(id => Register(coordinator, id)).ToArray();
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

    private RoundCoordinatorSettings Settings() => RoundCoordinatorSettings.Create(Sys) with
    {
        Rounds = 1,
        MinAvailableClients = 3,
        FractionFit = 1.0,
        MinFitClients = 2,
        RoundTimeout = RoundTimeout,
        AcceptFailures = false,
        MaxRoundRetries = 0,
    };

    private TestProbe Register(IActorRef coordinator, string id)
    {
        var probe = CreateTestProbe(id + "-" + Guid.NewGuid().ToString("N")[..6]);
        probe.Send(coordinator, new RegisterClient(new ClientId(id)));
        probe.ExpectMsg<ClientRegistered>();
        return probe;
    }

    private static void Answer(TestProbe client, string id, Parameters updated)
    {
        var request = client.ExpectMsg<FitRequest>();
        client.Reply(new FitResult(new ClientId(id), request.Round, request.Attempt, updated, 1, 0.5, 0.5, NamedTensors.Empty, NamedTensors.NoHyperparameters));
    }
}
