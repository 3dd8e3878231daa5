using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Client;

/// <summary>Real client actors under their supervisor, with scripted pure-C# trainers.</summary>
public sealed class ClientSupervisionTests : Akka.TestKit.Xunit2.TestKit
{
    public ClientSupervisionTests()
        : base(TestConfigs.RealTime())
    {
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Client_WhenItsTrainerThrows_IsRestartedAndTheRoundCompletesWithoutIt(bool registeredInBulk)
    {
        // given three clients, where c2's trainer throws in round 1 only
        var listener = StartRun(registeredInBulk, rounds: 2, Scripted((id, task) =>
            id == "c2" && task.Round.Value == 1 ? new InvalidOperationException("disk full") : null));

        // when the run proceeds
        var round1 = listener.ExpectMsg<RoundCompleted>().Record;
        var round2 = listener.ExpectMsg<RoundCompleted>().Record;

        // then round 1 completes without c2, named as failed with the trainer's message,
        // and the restarted c2 is back in round 2
        Assert.Equal(["c1", "c3"], round1.Answered.Select(c => c.Value));
        var drop = Assert.Single(round1.Dropped);
        Assert.Equal(("c2", DropReason.Failed), (drop.Client.Value, drop.Reason));
        Assert.Contains("disk full", drop.Detail);
        Assert.Equal(["c1", "c2", "c3"], round2.Answered.Select(c => c.Value));
        listener.ExpectMsg<RunCompleted>();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_WhenItFailsInAWayRestartCannotCure_IsStoppedAndDroppedFromTheRound(bool registeredInBulk)
    {
        // given three clients, where c3's trainer reports bad configuration
        var listener = StartRun(registeredInBulk, rounds: 1, Scripted((id, _) =>
            id == "c3" ? new ConfigurationException("no data shard for c3") : null));

        // when the round completes
        var round1 = listener.ExpectMsg<RoundCompleted>().Record;

        // then c3 is dropped as stopped, and its actor is gone for good, while c1's is where it was
        // (the path is right, so c3's absence is not a wrong path's)
        var drop = Assert.Single(round1.Dropped);
        Assert.Equal(("c3", DropReason.Stopped), (drop.Client.Value, drop.Reason));
        await Sys.ActorSelection("/user/clients/shard-0/c1").ResolveOne(TimeSpan.FromSeconds(3));
        await Assert.ThrowsAsync<ActorNotFoundException>(() =>
            Sys.ActorSelection("/user/clients/shard-0/c3").ResolveOne(TimeSpan.FromSeconds(3)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Client_WhenSupervisionRestartsIt_FindsTheStateItKeptBeforeTheRestart(bool registeredInBulk)
    {
        // given three rounds of clients that count their fits in their kept state, c1's trainer throwing once, in round 2
        var seen = new ConcurrentQueue<(string Client, int Round, int FitsBefore)>();
        var listener = StartRun(registeredInBulk, rounds: 3, id => new StatefulTrainer(new ScriptedTrainer(1f, 10, task =>
        {
            seen.Enqueue((id.Value, task.Round.Value, StatefulTrainer.FitsIn(task.ClientState)));
            return id.Value == "c1" && task.Round.Value == 2 ? new InvalidOperationException("disk full") : null;
        })));

        // when the run proceeds
        var rounds = new[] { listener.ExpectMsg<RoundCompleted>(), listener.ExpectMsg<RoundCompleted>(), listener.ExpectMsg<RoundCompleted>() };
        listener.ExpectMsg<RunCompleted>();

        // then the restarted c1 starts round 3 from the one fit it kept before the restart, and c2 from its two
        Assert.Equal(DropReason.Failed, Assert.Single(rounds[1].Record.Dropped).Reason);
        var c1 = seen.Where(s => s.Client == "c1").OrderBy(s => s.Round).Select(s => (s.Round, s.FitsBefore));
        Assert.Equal([(1, 0), (2, 1), (3, 1)], c1);
        Assert.Equal(2, seen.Single(s => s.Client == "c2" && s.Round == 3).FitsBefore);
    }

    private static Func<ClientId, ITrainer> Scripted(Func<string, FitTask, Exception?> fault) =>
        id => new ScriptedTrainer(1f, 10, task => fault(id.Value, task));

    // Each client registers itself (a transport layer's mode), or its shard registers it with the others (a simulation's).
    private Akka.TestKit.TestProbe StartRun(bool registeredInBulk, int rounds, Func<ClientId, ITrainer> trainers)
    {
        var settings = RoundCoordinatorSettings.Create(Sys) with
        {
            Rounds = rounds,
            MinAvailableClients = 3,
            FractionFit = 1.0,
            MinFitClients = 2,
            RoundTimeout = TimeSpan.FromSeconds(20),
        };
        var listener = CreateTestProbe("listener");
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(settings, new FedAvg(), TestParameters.Filled(0f), null, listener.Ref), "coordinator");

        var ids = new[] { "c1", "c2", "c3" }.Select(i => new ClientId(i)).ToList();
        Sys.ActorOf(
            ClientSupervisor.Props(ClientSupervisorSettings.Create(Sys), coordinator, ids, trainers, new ClientStateStore(1 << 20), registeredInBulk),
            "clients");
        return listener;
    }
}
