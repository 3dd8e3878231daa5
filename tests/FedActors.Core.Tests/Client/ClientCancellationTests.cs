using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Client;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Client;

/// <summary>
/// What a phase's deadline does to a real client's training: the coordinator with a scripted
/// client (a TestProbe) that answers at once, and one real client under its supervisor on a
/// training dispatcher of one thread, in real time with a short round timeout.
/// </summary>
[Collection(RealTimeDeadlines.Name)]
public sealed class ClientCancellationTests : CoordinatorTestKit
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(300);

    private readonly ManualResetEventSlim _release = new();
    private readonly ClientStateStore _store = new(1 << 20);

    public ClientCancellationTests()
        : base(TestConfigs.RealTime("fedactors.training.parallelism = 1"))
    {
    }

    [Fact]
    public void Client_WhenItsTrainerHonoursTheDeadline_IsDroppedAsTimedOutAndItsThreadServesTheNextRound()
    {
        // given a two-round run whose real client's trainer blocks in round 1 until its token fires
        var listener = StartRun(rounds: 2, (task, token) =>
        {
            if (task.Round.Value == 1)
            {
                token.WaitHandle.WaitOne();
                token.ThrowIfCancellationRequested();
            }

            return null;
        });

        // when the rounds run
        var round1 = listener.ExpectMsg<RoundCompleted>().Record;
        var round2 = listener.ExpectMsg<RoundCompleted>().Record;

        // then round 1 dropped it as timed out, and on the one training thread it answered round 2, no straggler
        var drop = Assert.Single(round1.Dropped);
        Assert.Equal(("slow", DropReason.TimedOut), (drop.Client.Value, drop.Reason));
        Assert.Equal(["prompt", "slow"], round2.Answered.Select(c => c.Value));
        Assert.Empty(round2.Stragglers);
        listener.ExpectMsg<RunCompleted>();
    }

    [Fact]
    public void Client_WhenItsTrainerIgnoresTheDeadline_IsNamedAStragglerInALaterRoundAndTheRunGoesOn()
    {
        // given a three-round run whose real client's trainer ignores its token in round 1 and waits for the test
        var listener = StartRun(rounds: 3, (task, _) =>
        {
            if (task.Round.Value == 1)
            {
                _release.Wait();
            }

            return null;
        });

        // when round 1 ends at its deadline, and only then the trainer is let go
        var round1 = listener.ExpectMsg<RoundCompleted>().Record;
        _release.Set();
        var later = new[] { listener.ExpectMsg<RoundCompleted>().Record, listener.ExpectMsg<RoundCompleted>().Record };

        // then round 1 dropped it as timed out, a later record names it as round 1's straggler, and the run completed
        Assert.Equal(("slow", DropReason.TimedOut), (round1.Dropped.Single().Client.Value, round1.Dropped.Single().Reason));
        Assert.Empty(round1.Stragglers);
        var straggler = Assert.Single(later.SelectMany(r => r.Stragglers));
        Assert.Equal(new Straggler(new ClientId("slow"), RoundCoordinator.FitPhase, new RoundNumber(1), 1), straggler);
        listener.ExpectMsg<RunCompleted>();
    }

    protected override void Dispose(bool disposing)
    {
        // A trainer still waiting must not hold the training thread past the test.
        _release.Set();
        base.Dispose(disposing);
        if (disposing)
        {
            _release.Dispose();
            _store.Dispose();
        }
    }

    // A coordinator needing both clients, one valid update enough. The prompt probe answers every
    // fit request on its own actor's thread (an auto-pilot), so no reply waits for the test's thread.
    private TestProbe StartRun(int rounds, Func<FitTask, CancellationToken, Exception?> slowScript)
    {
        var settings = Settings() with { Rounds = rounds, MinAvailableClients = 2, MinFitClients = 1, RoundTimeout = ShortTimeout };
        var (coordinator, listener) = StartCoordinator(settings);
        var prompt = Register(coordinator, "prompt");
        prompt.SetAutoPilot(new DelegateAutoPilot((sender, message) =>
        {
            if (message is FitRequest request)
            {
                sender.Tell(FitResultFor("prompt", request, TestParameters.Filled(1f)), prompt.Ref);
            }

            return AutoPilot.KeepRunning;
        }));
        Sys.ActorOf(ClientSupervisor.Props(
            ClientSupervisorSettings.Create(Sys), coordinator, [new ClientId("slow")], _ => new ScriptedTrainer(1f, 10, slowScript), _store));
        return listener;
    }
}
