using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// The ownership rule from the coordinator's side: every update buffer goes back to its pool once
/// aggregated, folded or failed, and the replaced global model only when no request that carried it
/// is unanswered. In process and without message serialization, so the coordinator sees the very
/// buffers the test rented.
/// </summary>
public sealed class BufferOwnershipTests : CoordinatorTestKit
{
    private readonly ParameterBufferPool _pool = new(maxBuffersPerLength: 16);

    public BufferOwnershipTests()
        : base(FedActorsConfig.Load(ConfigurationFactory.ParseString("""
            akka.test.single-expect-default = 10s
            akka.actor.serialize-messages = off
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            """)))
    {
    }

    [Fact]
    public void Round_WhenFedAvgStreams_GivesEveryUpdateBack()
    {
        // given FedAvg (streaming) and three clients answering with pooled updates
        var (coordinator, listener) = StartCoordinator(Settings() with { MinFitClients = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var updates = new[] { Pooled(1f), Pooled(2f), Pooled(3f) };

        // when the round completes
        foreach (var (client, id, update) in clients.Zip(["c1", "c2", "c3"], updates))
        {
            Answer(client, id, update);
        }

        listener.ExpectMsg<RoundCompleted>();

        // then each buffer is back in the pool
        Assert.All(updates, u => Assert.False(u.IsPooled));
        Assert.Equal(3, _pool.FreeCount);
    }

    [Fact]
    public void Round_WithABufferedStrategy_GivesEveryUpdateBackAfterAggregating()
    {
        // given the coordinate-wise median (buffered) and three pooled updates
        var (coordinator, listener) = StartCoordinator(Settings() with { MinFitClients = 3 }, strategy: new FedMedian());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var updates = new[] { Pooled(1f), Pooled(2f), Pooled(3f) };

        // when the round completes
        foreach (var (client, id, update) in clients.Zip(["c1", "c2", "c3"], updates))
        {
            Answer(client, id, update);
        }

        // then the model is the median and each buffer is back in the pool
        listener.ExpectMsg<RoundCompleted>();
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(2f, v));
        Assert.Equal(3, _pool.FreeCount);
    }

    [Fact]
    public void Round_WhenTheAttemptFails_GivesItsUpdatesBack()
    {
        // given a buffered strategy and a round that needs all three updates
        var (coordinator, listener) = StartCoordinator(Settings() with { MinFitClients = 3 }, strategy: new FedMedian());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var updates = new[] { Pooled(1f), Pooled(2f) };

        // when two answer and the third misses the deadline
        Answer(clients[0], "c1", updates[0]);
        Answer(clients[1], "c2", updates[1]);
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);

        // then the attempt fails and both buffers are back in the pool
        listener.ExpectMsg<AttemptFailed>();
        AwaitCondition(() => _pool.FreeCount == 2);
        Assert.All(updates, u => Assert.False(u.IsPooled));
    }

    [Fact]
    public void NextRound_WhenEveryClientAnswered_GivesThePreviousGlobalModelBack()
    {
        // given two rounds in which every client answers
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2, MinFitClients = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();

        // when round 2, which starts from round 1's model, completes
        var requests = AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();

        // then round 1's model went back to its pool: no request that carried it is unanswered
        Assert.False(requests[0].Global.IsPooled);
    }

    [Fact]
    public void NextRound_WhenAClientTimedOut_KeepsThePreviousGlobalModel()
    {
        // given two rounds that need two of three updates
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2, MinFitClients = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();

        // when c3 misses round 2's deadline (its trainer may still be reading round 1's model)
        var request = Answer(clients[0], "c1", TestParameters.Filled(1f));
        Answer(clients[1], "c2", TestParameters.Filled(1f));
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);
        listener.ExpectMsg<RoundCompleted>();

        // then that model was not given back, and it still reads as it was
        Assert.True(request.Global.IsPooled);
        Assert.All(request.Global.Values.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void NextRound_WhenTheInitialModelIsPooled_LeavesItToTheCaller()
    {
        // given an initial model in a pooled buffer (a TorchSharp module's weights come out of the
        // shared pool), which the caller may use again, e.g. for a second run from the same start
        var initial = Pooled(1f);
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2, MinFitClients = 3 }, initial: initial);
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when round 1 replaces it and round 2 completes
        AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();
        AnswerAll(clients);
        listener.ExpectMsg<RoundCompleted>();

        // then it was not given back to the pool: it still reads as the caller made it
        Assert.True(initial.IsPooled);
        Assert.All(initial.Values.ToArray(), v => Assert.Equal(1f, v));
    }

    private FitRequest[] AnswerAll(IReadOnlyList<Akka.TestKit.TestProbe> clients) =>
        [.. clients.Select((c, i) => Answer(c, $"c{i + 1}", TestParameters.Filled(1f)))];

    private Parameters Pooled(float value) => Parameters.CopyPooled(TestParameters.Layout, TestParameters.Filled(value).Values, _pool);
}
