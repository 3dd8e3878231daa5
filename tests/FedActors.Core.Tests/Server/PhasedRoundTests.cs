using Akka.Actor;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// A test-only strategy whose rounds run three phases in the manner of secure aggregation
/// (advertise keys, the fit as its masked input, unmask), on the coordinator's one phase runner.
/// </summary>
public sealed class PhasedRoundTests : CoordinatorTestKit
{
    public PhasedRoundTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Round_WithPhasesBeforeAndAfterTheFit_AsksEachPhaseTheSurvivorsOfTheOneBeforeAndNamesEveryDropsPhase()
    {
        // given four clients and a strategy with an advertise phase before the fit and an unmask phase after it
        var strategy = new KeyExchangeStrategy(minimum: 2);
        var (coordinator, listener) = StartCoordinator(Settings() with { MinAvailableClients = 4, MinFitClients = 2 }, strategy: strategy);
        var clients = RegisterClients(coordinator, "c1", "c2", "c3", "c4");

        // when c4 fails to advertise, everybody left trains, and c3 stops before unmasking
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            ReplyTo<Advertise>(client, id);
        }

        var refused = clients[3].ExpectMsg<Advertise>();
        clients[3].Reply(new ClientFailed(new ClientId("c4"), refused.Round, refused.Attempt, "advertise", "no key", Cancelled: false));
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(3f));
        }

        ReplyTo<Unmask>(clients[0], "c1");
        ReplyTo<Unmask>(clients[1], "c2");
        clients[2].ExpectMsg<Unmask>();
        Sys.Stop(clients[2].Ref);

        // then the fit asked only the advertisers, the unmask only the fit's valid senders, the
        // strategy saw each outcome, and the record names each drop with its phase
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["advertise", "fit", "unmask"], record.Phases.Select(p => p.Name));
        Assert.Equal(["c1", "c2", "c3"], record.Phases[1].Asked.Select(c => c.Value));
        Assert.Equal(["c1", "c2", "c3"], record.Phases[2].Asked.Select(c => c.Value));
        Assert.Equal([("c4", "advertise", DropReason.Failed), ("c3", "unmask", DropReason.Stopped)], record.Dropped.Select(d => (d.Client.Value, d.Phase, d.Reason)));
        Assert.Equal(["advertise: c1,c2,c3", "fit: c1,c2,c3", "unmask: c1,c2"], strategy.Seen);
        clients[3].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Round_WhenAnExtraPhaseGetsTooFewReplies_FailsTheAttemptNamingThePhase()
    {
        // given a strategy whose unmask phase needs 3 replies
        var (coordinator, listener) = StartCoordinator(Settings(), strategy: new KeyExchangeStrategy(minimum: 3));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            ReplyTo<Advertise>(client, id);
        }

        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(1f));
        }

        // when only two unmask before the deadline
        ReplyTo<Unmask>(clients[0], "c1");
        ReplyTo<Unmask>(clients[1], "c2");
        clients[2].ExpectMsg<Unmask>();
        VirtualClock.Advance(RoundTimeout);

        // then the attempt fails with the phase, and the late client is dropped from it as timed out
        var failed = listener.ExpectMsg<AttemptFailed>().Record;
        Assert.Contains("phase unmask got 2 valid replies, fewer than the 3 it needs", failed.Failure);
        Assert.Equal(("c3", "unmask", DropReason.TimedOut), failed.Dropped.Select(d => (d.Client.Value, d.Phase, d.Reason)).Single());
    }

    private static void ReplyTo<TRequest>(Akka.TestKit.TestProbe client, string id)
        where TRequest : PhaseRequest
    {
        var request = client.ExpectMsg<TRequest>();
        client.Reply(new PhaseAck(new ClientId(id), request.Round, request.Attempt, request.GetType().Name));
    }

    private abstract record PhaseRequest(RoundNumber Round, int Attempt) : IFedActorsMessage, INoSerializationVerificationNeeded;

    private sealed record Advertise(RoundNumber Round, int Attempt) : PhaseRequest(Round, Attempt);

    private sealed record Unmask(RoundNumber Round, int Attempt) : PhaseRequest(Round, Attempt);

    private sealed record PhaseAck(ClientId Client, RoundNumber Round, int Attempt, string Request) : IPhaseReply, INoSerializationVerificationNeeded;

    private sealed class KeyExchangeStrategy(int minimum) : IPhasedStrategy
    {
        public List<string> Seen { get; } = [];

        public string Name => "key-exchange";

        public ClientPhase? NextPhaseBeforeFit(StrategyContext context, IReadOnlyList<ClientId> participants, PhaseOutcome? previous)
        {
            if (previous is not null)
            {
                Record(previous);
                return null;
            }

            return new ClientPhase("advertise", _ => new Advertise(context.Round, context.Attempt), typeof(PhaseAck), MinReplies: 2, r => ((PhaseAck)r).Request == nameof(Advertise) ? null : "not an advertisement");
        }

        public ClientPhase? NextPhaseAfterFit(StrategyContext context, IReadOnlyList<ClientId> participants, PhaseOutcome previous)
        {
            Record(previous);
            return previous.Name == RoundCoordinator.FitPhase
                ? new ClientPhase("unmask", _ => new Unmask(context.Round, context.Attempt), typeof(PhaseAck), minimum)
                : null;
        }

        public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
            AggregationResult.Of(Aggregation.SampleWeightedMean(global, updates));

        private void Record(PhaseOutcome outcome) => Seen.Add($"{outcome.Name}: {string.Join(",", outcome.Replies.Select(r => r.Client.Value))}");
    }
}
