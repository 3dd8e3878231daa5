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
/// the coordinator, each client registering itself or its shard registering it in bulk, and the
/// coordinator against probes that play clients, on virtual time.
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

    [Fact]
    public void Shards_WhenTheCoordinatorIsInTheirSystem_RegisterEveryClientOnceInBatchesOfAtMostAShard()
    {
        // given 2,500 clients, registered in bulk
        var ids = Enumerable.Range(0, 2500).Select(i => $"c{i:D4}").ToArray();
        var coordinator = CreateTestProbe();
        StartClientsInBulk(coordinator, ids);

        // when the shards' registrations arrive and are acknowledged
        var batches = new List<RegisterClients>();
        for (var shard = 0; shard < 3; shard++)
        {
            batches.Add(coordinator.ExpectMsg<RegisterClients>());
            coordinator.Reply(new ClientsRegistered(batches[^1].Clients.Length));
        }

        // then every id came once, in three shards of at most 1,000, each from its own child actor named by its id
        var entries = batches.SelectMany(b => b.Clients).ToList();
        Assert.Equal(ids, entries.Select(e => e.Client.Value).Order());
        Assert.All(batches, b => Assert.InRange(b.Clients.Length, 1, ClientSupervisor.ShardSize));
        Assert.Equal(entries.Count, entries.Select(e => e.Actor).Distinct().Count());
        Assert.All(entries, e => Assert.Equal(ClientSupervisor.ActorNameFor(e.Client), e.Actor.Path.Name));

        // and after the retry interval no client registers itself or again: the next thing a client sends is its fit result
        VirtualClock.Advance(RetryInterval);
        var c1234 = entries.Single(e => e.Client.Value == "c1234").Actor;
        c1234.Tell(FitRequestForRound1(), coordinator.Ref);
        Assert.Equal("c1234", coordinator.ExpectMsg<FitResult>().Client.Value);
    }

    [Fact]
    public void Shard_WhenItsBatchIsNeverAcknowledged_SendsItAgainEveryRetryInterval()
    {
        // given a shard whose coordinator stays silent
        var coordinator = CreateTestProbe();
        StartClientsInBulk(coordinator, "c1", "c2");
        var first = coordinator.ExpectMsg<RegisterClients>();

        // when the retry interval passes
        VirtualClock.Advance(RetryInterval);
        var second = coordinator.ExpectMsg<RegisterClients>();

        // then the same batch came again, and no client registered on its own
        Assert.Equal(first.Clients.AsEnumerable(), second.Clients.AsEnumerable());
        coordinator.Reply(new ClientsRegistered(2));
        VirtualClock.Advance(RetryInterval);
        coordinator.Send(first.Clients[0].Actor, FitRequestForRound1());
        Assert.Equal("c1", coordinator.ExpectMsg<FitResult>().Client.Value);
    }

    [Fact]
    public void Shard_WhenAClientStopsBeforeItsBatchIsAcknowledged_LeavesItOutOfTheRetry()
    {
        // given a shard whose coordinator has not yet acknowledged its batch
        var coordinator = CreateTestProbe();
        StartClientsInBulk(coordinator, "c1", "c2");
        var first = coordinator.ExpectMsg<RegisterClients>();

        // when c2's actor stops, and the retry interval passes
        var c2 = first.Clients.Single(c => c.Client.Value == "c2").Actor;
        c2.Tell(PoisonPill.Instance);
        Assert.Equal(c2, coordinator.ExpectMsg<ClientStopped>().Actor);
        VirtualClock.Advance(RetryInterval);

        // then the batch sent again holds c1 only: a stopped actor registered after its
        // ClientStopped would be sampled every round, and nothing would report it again
        Assert.Equal(["c1"], coordinator.ExpectMsg<RegisterClients>().Clients.Select(c => c.Client.Value));
    }

    [Fact]
    public void Shard_WhenAClientItRegisteredStops_TellsTheCoordinatorWhichActorStopped()
    {
        // given two clients registered in bulk, which the coordinator does not watch
        var coordinator = CreateTestProbe();
        StartClientsInBulk(coordinator, "c1", "c2");
        var batch = coordinator.ExpectMsg<RegisterClients>();
        coordinator.Reply(new ClientsRegistered(2));

        // when c2's actor stops
        var c2 = batch.Clients.Single(c => c.Client.Value == "c2").Actor;
        c2.Tell(PoisonPill.Instance);

        // then its shard reports that actor, and only it
        Assert.Equal(c2, coordinator.ExpectMsg<ClientStopped>().Actor);
        coordinator.Send(batch.Clients.Single(c => c.Client.Value == "c1").Actor, FitRequestForRound1());
        Assert.Equal("c1", coordinator.ExpectMsg<FitResult>().Client.Value);
    }

    [Fact]
    public void Client_RegisteredInBulk_WhenToldToUseANewCoordinator_RegistersItselfThere()
    {
        // given two clients registered in bulk
        var first = CreateTestProbe();
        var clients = StartClientsInBulk(first, "c1", "c2");
        first.ExpectMsg<RegisterClients>();
        first.Reply(new ClientsRegistered(2));

        // when their supervisor is told of a second coordinator
        var second = CreateTestProbe();
        clients.Tell(new UseCoordinator(second.Ref));

        // then each registers itself with it, by the per-client protocol
        Assert.Equal(["c1", "c2"], new[] { second.ExpectMsg<RegisterClient>(), second.ExpectMsg<RegisterClient>() }.Select(r => r.Client.Value).Order());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _store.Dispose();
        }
    }

    private IActorRef StartClients(TestProbe coordinator, params string[] ids) => StartClients(coordinator, registerInBulk: false, ids);

    // A simulation's clients: their shards register them, the coordinator being in the same actor system.
    private IActorRef StartClientsInBulk(TestProbe coordinator, params string[] ids) => StartClients(coordinator, registerInBulk: true, ids);

    private IActorRef StartClients(TestProbe coordinator, bool registerInBulk, string[] ids)
    {
        var settings = ClientSupervisorSettings.Create(Sys) with { RegistrationRetry = RetryInterval };
        return Sys.ActorOf(ClientSupervisor.Props(settings, coordinator.Ref, [.. ids.Select(i => new ClientId(i))], _ => new ScriptedTrainer(1f, 10), _store, registerInBulk));
    }

    // The coordinator asks the client that last wrote to it to train; the next message it gets must be the result.
    private void AssertAnswersFitNext(TestProbe coordinator)
    {
        coordinator.Reply(FitRequestForRound1());
        coordinator.ExpectMsg<FitResult>();
    }

    private FitRequest FitRequestForRound1() =>
        new(new RoundNumber(1), 1, TestParameters.Filled(0f), Settings().Training, 1, NamedTensors.Empty, TimeSpan.FromMinutes(1));
}
