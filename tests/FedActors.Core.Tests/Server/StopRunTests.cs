using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>An operator's stop (<see cref="StopRun"/>): the round in progress finished or abandoned, and the last completed round named for the resume.</summary>
public sealed class StopRunTests : CoordinatorTestKit
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    public StopRunTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void AStopThatFinishesTheRound_DuringRound1_CompletesItAndStartsNoOther()
    {
        // given a three-round run whose round 1 requests are out
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var requests = clients.Select(c => c.ExpectMsg<FitRequest>()).ToList();

        // when the stop arrives, then the clients answer
        coordinator.Tell(new StopRun("SIGTERM", FinishRound: true));
        for (var i = 0; i < 3; i++)
        {
            clients[i].Reply(FitResultFor($"c{i + 1}", requests[i], TestParameters.Filled(2f)));
        }

        // then round 1 completes (and is checkpointed), the run stops after it, and no round 2 is asked for
        Assert.Equal(1, listener.ExpectMsg<RoundCompleted>().Record.Round.Value);
        var stopped = listener.ExpectMsg<RunStopped>();
        Assert.Equal((1, "SIGTERM"), (stopped.LastCompleted.Value, stopped.Reason));
        Assert.All(clients, c => c.ExpectNoMsg(Quiet));
    }

    [Fact]
    public void AStopThatAbandonsTheRound_DuringRound2_StopsAtOnceAfterRound1()
    {
        // given a three-round run in round 2
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        for (var i = 0; i < 3; i++)
        {
            Answer(clients[i], $"c{i + 1}", TestParameters.Filled(1f));
        }

        listener.ExpectMsg<RoundCompleted>();
        var round2 = clients.Select(c => c.ExpectMsg<FitRequest>()).ToList();

        // when the stop arrives, and round 2's updates after it
        coordinator.Tell(new StopRun("SIGTERM", FinishRound: false));
        for (var i = 0; i < 3; i++)
        {
            clients[i].Reply(FitResultFor($"c{i + 1}", round2[i], TestParameters.Filled(5f)));
        }

        // then the run stops after round 1 without recording round 2
        var stopped = listener.ExpectMsg<RunStopped>();
        Assert.Equal(1, stopped.LastCompleted.Value);
        Assert.DoesNotContain(stopped.History, r => r.Round.Value == 2);
        listener.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void AStopThatFinishesTheRound_WhenTheRoundsAttemptFails_StopsInsteadOfRetrying()
    {
        // given a run that retries failed attempts and needs all three updates, with round 1's requests out
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2, MinFitClients = 3, MaxRoundRetries = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var requests = clients.Select(c => c.ExpectMsg<FitRequest>()).ToList();

        // when the stop arrives and one client fails
        coordinator.Tell(new StopRun("SIGTERM", FinishRound: true));
        clients[0].Reply(FitResultFor("c1", requests[0], TestParameters.Filled(1f)));
        clients[1].Reply(FitResultFor("c2", requests[1], TestParameters.Filled(1f)));
        clients[2].Reply(FailureFor("c3", requests[2], "out of memory"));

        // then the failed attempt is recorded and the run stops before any round completed, with no retry asked for
        listener.ExpectMsg<AttemptFailed>();
        Assert.Equal(0, listener.ExpectMsg<RunStopped>().LastCompleted.Value);
        Assert.All(clients, c => c.ExpectNoMsg(Quiet));
    }

    [Fact]
    public void AStop_WhileWaitingForClients_StopsAtOnceEvenWhenAskedToFinishTheRound()
    {
        // given a run waiting for three clients, one registered
        var (coordinator, listener) = StartCoordinator(Settings());
        RegisterClients(coordinator, "c1");

        // when the stop arrives
        coordinator.Tell(new StopRun("SIGINT", FinishRound: true));

        // then nothing ran, and the run stops before round 1
        var stopped = listener.ExpectMsg<RunStopped>();
        Assert.Equal((0, "SIGINT"), (stopped.LastCompleted.Value, stopped.Reason));
        Assert.Empty(stopped.History);
    }
}
