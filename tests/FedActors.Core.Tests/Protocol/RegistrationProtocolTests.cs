using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Client;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Protocol;

/// <summary>
/// Registration from both ends: real clients (under their supervisor) against a probe that plays
/// the coordinator, and the coordinator against probes that play clients, on virtual time.
/// </summary>
public sealed class RegistrationProtocolTests : CoordinatorTestKit
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly ClientStateStore _store = new(1 << 20);

    public RegistrationProtocolTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Client_WhenItsRegistrationIsNeverAcknowledged_SendsItAgainEveryRetryInterval()
    {
        // given a client whose coordinator stays silent
        var coordinator = CreateTestProbe();
        StartClients(coordinator, "c1");
        coordinator.ExpectMsg<RegisterClient>();

        // when the retry interval passes, twice
        VirtualClock.Advance(RetryInterval);
        var second = coordinator.ExpectMsg<RegisterClient>();
        VirtualClock.Advance(RetryInterval);
        var third = coordinator.ExpectMsg<RegisterClient>();

        // then it registered again each time
        Assert.Equal(("c1", "c1"), (second.Client.Value, third.Client.Value));
    }

    [Fact]
    public void Client_OnceAcknowledged_StopsRetrying()
    {
        // given a client that registered and was acknowledged
        var coordinator = CreateTestProbe();
        StartClients(coordinator, "c1");
        coordinator.ExpectMsg<RegisterClient>();
        coordinator.Reply(new ClientRegistered(new ClientId("c1")));

        // when the retry interval passes (a fit request after each step shows what the client did before it)
        AssertAnswersFitNext(coordinator);
        VirtualClock.Advance(RetryInterval);

        // then the next thing the coordinator hears is the fit result, not another registration
        AssertAnswersFitNext(coordinator);
    }

    [Fact]
    public void Client_WhenAFitRequestArrivesBeforeItsAcknowledgement_StopsRetrying()
    {
        // given a client whose acknowledgement was lost, but which the coordinator asks to train
        var coordinator = CreateTestProbe();
        StartClients(coordinator, "c1");
        coordinator.ExpectMsg<RegisterClient>();
        AssertAnswersFitNext(coordinator);

        // when the retry interval passes
        VirtualClock.Advance(RetryInterval);

        // then it does not register again: the request proved the coordinator knows it
        AssertAnswersFitNext(coordinator);
    }

    [Fact]
    public void Clients_WhenToldToUseANewCoordinator_RegisterWithItAndRetryThere()
    {
        // given two clients registered with a first coordinator
        var first = CreateTestProbe();
        var clients = StartClients(first, "c1", "c2");
        for (var i = 0; i < 2; i++)
        {
            var registration = first.ExpectMsg<RegisterClient>();
            first.Reply(new ClientRegistered(registration.Client));
        }

        // when their supervisor is told of a second coordinator, which stays silent
        var second = CreateTestProbe();
        clients.Tell(new UseCoordinator(second.Ref));
        var registrations = new[] { second.ExpectMsg<RegisterClient>(), second.ExpectMsg<RegisterClient>() };
        VirtualClock.Advance(RetryInterval);
        var retries = new[] { second.ExpectMsg<RegisterClient>(), second.ExpectMsg<RegisterClient>() };

        // then both register with the second, retry there, and the first hears nothing more
        Assert.Equal(["c1", "c2"], registrations.Select(r => r.Client.Value).Order());
        Assert.Equal(["c1", "c2"], retries.Select(r => r.Client.Value).Order());
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Coordinator_WhenAPendingClientRegistersFromANewActor_DropsItAtOnceAsReregistered()
    {
        // given three clients asked to fit, two of which answer
        var (coordinator, listener) = StartCoordinator(Settings());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        Answer(clients[0], "c1", TestParameters.Filled(1f));
        Answer(clients[1], "c2", TestParameters.Filled(1f));
        var request = clients[2].ExpectMsg<FitRequest>();

        // when c3 registers again from a new actor (a restart), and its old actor answers after that
        Register(coordinator, "c3");
        clients[2].Reply(FitResultFor("c3", request, TestParameters.Filled(100f)));

        // then the round completes without waiting for the deadline, c3 dropped as re-registered and its old actor's update unused
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c3", DropReason.Reregistered), (drop.Client.Value, drop.Reason));
        Assert.False(record.Phases[0].DeadlineReached);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Coordinator_WhenANodeBecomesUnreachable_DropsExactlyItsPendingClientsAndSamplesNoneUntilItIsReachable()
    {
        // given two clients needed, and four registered before the first round: two on this node and two on another
        // (a second actor system, whose actors have another address)
        var other = ActorSystem.Create("other-node", TestConfigs.RealTime());
        try
        {
            var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 3, MinAvailableClients = 2 }, clientsBeforeFirstRound: 4);
            var local = RegisterClients(coordinator, "c1", "c2");
            var remote = new[] { Register(coordinator, "r1", other), Register(coordinator, "r2", other) };
            Answer(local[0], "c1", TestParameters.Filled(1f));
            var pending = local[1].ExpectMsg<FitRequest>();
            Assert.All(remote, r => r.ExpectMsg<FitRequest>());

            // when the other node is reported unreachable while c2 and both of its clients are pending, then c2 answers
            coordinator.Tell(new NodeUnreachable(remote[0].Ref.Path.Address));
            local[1].Reply(FitResultFor("c2", pending, TestParameters.Filled(1f)));
            var round1 = listener.ExpectMsg<RoundCompleted>().Record;

            // and round 2 runs, the node reported reachable again before it ends
            Answer(local[0], "c1", TestParameters.Filled(2f));
            pending = local[1].ExpectMsg<FitRequest>();
            coordinator.Tell(new NodeReachable(remote[0].Ref.Path.Address));
            local[1].Reply(FitResultFor("c2", pending, TestParameters.Filled(2f)));
            var round2 = listener.ExpectMsg<RoundCompleted>().Record;

            // then round 1 dropped exactly the other node's clients, at once; round 2 asked only this node's; round 3 asks all four again
            Assert.Equal(["c1", "c2"], round1.Answered.Select(c => c.Value));
            Assert.Equal([("r1", DropReason.Unreachable), ("r2", DropReason.Unreachable)], round1.Dropped.Select(d => (d.Client.Value, d.Reason)));
            Assert.All(round1.Dropped, d => Assert.Contains("other-node", d.Detail));
            Assert.False(round1.Phases[0].DeadlineReached);
            Assert.Equal(["c1", "c2"], round2.Asked.Select(c => c.Value));
            Assert.All(remote, r => Assert.Equal(3, r.ExpectMsg<FitRequest>().Round.Value));
        }
        finally
        {
            Shutdown(other);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _store.Dispose();
        }
    }

    private IActorRef StartClients(TestProbe coordinator, params string[] ids)
    {
        var settings = ClientSupervisorSettings.Create(Sys) with { RegistrationRetry = RetryInterval };
        return Sys.ActorOf(ClientSupervisor.Props(settings, coordinator.Ref, [.. ids.Select(i => new ClientId(i))], _ => new ScriptedTrainer(1f, 10), _store));
    }

    // The coordinator asks the client that last wrote to it to train; the next message it gets must be the result.
    private void AssertAnswersFitNext(TestProbe coordinator)
    {
        var request = new FitRequest(new RoundNumber(1), 1, TestParameters.Filled(0f), Settings().Training, 1, NamedTensors.Empty, TimeSpan.FromMinutes(1));
        coordinator.Reply(request);
        coordinator.ExpectMsg<FitResult>();
    }
}
