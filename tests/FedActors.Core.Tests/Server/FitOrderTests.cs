using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// Fit requests go out biggest fit first (longest job first), so that the training threads, which
/// take them in arrival order, end a round together.
/// </summary>
public sealed class FitOrderTests : CoordinatorTestKit
{
    public FitOrderTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void LargestFirst_PutsUnknownClientsFirstThenTheBiggestReportedFits_KeepingTheSamplersOrderInTies()
    {
        // given three clients whose last fits had 5, 50 and 5 samples, and two never heard from
        var order = new FitOrder();
        order.Record(new ClientId("a"), 5);
        order.Record(new ClientId("b"), 50);
        order.Record(new ClientId("c"), 5);

        // when a round samples them in this order
        var sent = order.LargestFirst([.. new[] { "a", "x", "b", "c", "y" }.Select(id => new ClientId(id))]);

        // then the unknown ones come first, then b, then a and c as sampled
        Assert.Equal(["x", "y", "b", "a", "c"], sent.Select(c => c.Value));
    }

    [Theory]
    [InlineData(null, new[] { "c5", "c2", "c3", "c4", "c6", "c1" })]
    [InlineData(6, new[] { "c1", "c2", "c3", "c4", "c5", "c6" })]
    public void NextRound_AfterClientsReportedTheirSampleCounts_SendsTheBiggestFitFirstUnlessTheFirstRepliesAreKept(int? firstReplies, string[] expected)
    {
        // (with over-selection the first replies are the ones aggregated, so the order of sending
        // would choose whose update counts, and a resumed run, without the order's memory, would
        // choose otherwise: the requests go out in the sampler's order)
        // given six clients that report different sample counts in round 1; each is a stand-in on the
        // calling thread, so the order in which the sink sees their requests is the order they were sent
        var samples = new Dictionary<string, int> { ["c1"] = 1, ["c2"] = 30, ["c3"] = 10, ["c4"] = 7, ["c5"] = 60, ["c6"] = 3 };
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 2, MinAvailableClients = 6, MinFitClients = 6, FitFirstReplies = firstReplies });
        var sink = CreateTestProbe();
        foreach (var id in samples.Keys)
        {
            var standIn = Sys.ActorOf(Props.Create(() => new InOrder(id, sink.Ref)).WithDispatcher(CallingThreadDispatcher.Id), id);
            coordinator.Tell(new RegisterClient(new ClientId(id)), standIn);
            sink.ExpectMsg<Seen>(m => Assert.IsType<ClientRegistered>(m.Message));
        }

        AnswerRound(sink, coordinator, samples);
        listener.ExpectMsg<RoundCompleted>();

        // when round 2 starts
        var order = AnswerRound(sink, coordinator, samples);

        // then its requests went out biggest fit first, or, keeping the first replies, as sampled
        Assert.Equal(expected, order);
    }

    // Answers every request of a round, in the order they came; returns the clients in that order.
    private string[] AnswerRound(Akka.TestKit.TestProbe sink, IActorRef coordinator, Dictionary<string, int> samples)
    {
        var order = new List<string>();
        for (var i = 0; i < samples.Count; i++)
        {
            var (id, message) = sink.ExpectMsg<Seen>();
            var request = Assert.IsType<FitRequest>(message);
            order.Add(id);
            coordinator.Tell(FitResultFor(id, request, TestParameters.Filled(1f), samples[id]), sink.LastSender);
        }

        return [.. order];
    }

    // A client's stand-in that hands what it receives, tagged with its id, to the test's sink.
    private sealed class InOrder : ReceiveActor
    {
        public InOrder(string id, IActorRef sink) => ReceiveAny(m => sink.Tell(new Seen(id, m)));
    }

    // Not a protocol message: the test's configuration verifies that those serialize.
    private sealed record Seen(string Client, object Message) : INoSerializationVerificationNeeded;
}
