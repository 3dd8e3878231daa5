using System.Collections.Immutable;
using System.Globalization;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Core.Tests.Server;

/// <summary>
/// The phase runner on its own, driven by a scripted sequence in the manner of secure
/// aggregation (Bonawitz et al., 2017, arXiv:1611.04482): advertise keys, then share keys with
/// the clients that advertised, then send a masked input to be summed with the clients that
/// shared. Each phase asks the survivors of the one before; nothing in <see cref="PhaseRun"/>
/// knows these phases.
/// </summary>
public sealed class PhaseRunTests
{
    private const string Advertise = "advertise-keys";
    private const string Share = "share-keys";
    private const string Mask = "masked-input";
    private const int InputLength = 2;

    private static readonly RoundNumber Round = new(4);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void Sequence_WhenEachPhaseAsksTheSurvivorsOfTheOneBefore_NarrowsToTheClientsThatAnsweredEveryPhase()
    {
        // given five clients asked to advertise their keys, three needed in every phase
        var advertise = new PhaseRun(AdvertiseSpec(Ids("c1", "c2", "c3", "c4", "c5"), minReplies: 3), Round, 1);

        // when c5 stops before advertising, and the others advertise
        Assert.True(advertise.Drop(Id("c5"), DropReason.Stopped, "the client's actor stopped"));
        foreach (var id in new[] { "c1", "c2", "c3", "c4" })
        {
            Assert.Null(advertise.Take(new KeysAdvertised(Id(id), Round, 1, PublicKey: int.Parse(id[1..], CultureInfo.InvariantCulture))));
        }

        // and the four survivors are asked to share keys with each other, where c4 misses the deadline
        var share = new PhaseRun(ShareSpec(Survivors(advertise), minReplies: 3), Round, 1);
        var requests = share.Spec.Participants.ToDictionary(c => c, c => (ShareKeys)share.Spec.RequestFor(c));
        foreach (var id in new[] { "c1", "c2", "c3" })
        {
            Assert.Null(share.Take(new KeysShared(Id(id), Round, 1, requests[Id(id)].Peers)));
        }

        var late = share.ReachDeadline();

        // and the three that shared send their masked inputs
        var mask = new PhaseRun(MaskSpec(Survivors(share), minReplies: 3), Round, 1);
        foreach (var id in new[] { "c3", "c1", "c2" })
        {
            Assert.Null(mask.Take(new MaskedInput(Id(id), Round, 1, [1f, 2f])));
        }

        // then each phase asked the survivors of the one before, named its own drops, and succeeded
        Assert.Equal(["c2", "c3", "c4"], requests[Id("c1")].Peers.Select(c => c.Value));
        Assert.Equal(["c4"], late.Select(c => c.Value));
        Assert.True(advertise.IsDone && share.IsDone && mask.IsDone);
        Assert.True(advertise.Succeeded && share.Succeeded && mask.Succeeded);
        Assert.Equal(
            [
                (Advertise, "c1,c2,c3,c4,c5", "c1,c2,c3,c4", "c5 Stopped", false),
                (Share, "c1,c2,c3,c4", "c1,c2,c3", "c4 TimedOut", true),
                (Mask, "c1,c2,c3", "c1,c2,c3", string.Empty, false),
            ],
            new[] { advertise, share, mask }.Select(p => p.ToRecord()).Select(Summary));
        Assert.All(share.Tracker.Drops, d => Assert.Equal(Share, d.Phase));
    }

    [Fact]
    public void Phase_WhenFewerThanItsMinimumGiveAValidReply_EndsWithoutSucceeding()
    {
        // given three survivors asked for masked inputs, all three needed
        var mask = new PhaseRun(MaskSpec(Ids("c1", "c2", "c3"), minReplies: 3), Round, 1);

        // when c1's input has the wrong length, c2 reports a failure in this phase, and c3 answers
        var invalid = mask.Take(new MaskedInput(Id("c1"), Round, 1, [1f]));
        var failed = mask.Take(new ClientFailed(Id("c2"), Round, 1, Mask, "lost its mask seed", Cancelled: false));
        var valid = mask.Take(new MaskedInput(Id("c3"), Round, 1, [1f, 2f]));

        // then the phase is over, without the replies it needs, and says why each client is out
        Assert.True(mask.IsDone);
        Assert.False(mask.Succeeded);
        Assert.Equal((DropReason.InvalidUpdate, DropReason.Failed), (invalid!.Reason, failed!.Reason));
        Assert.Contains("1 values, expected 2", invalid.Detail);
        Assert.Equal("lost its mask seed", failed.Detail);
        Assert.Null(valid);
        Assert.Equal(1, mask.Tracker.ReplyCount);
    }

    [Fact]
    public void Phase_WhenItsDeadlinePasses_DropsEveryPendingClientAsTimedOutAndTakesNoLateReply()
    {
        // given four clients asked to share keys, of which c2 has answered
        var share = new PhaseRun(ShareSpec(Ids("c1", "c2", "c3", "c4"), minReplies: 2), Round, 1);
        share.Take(new KeysShared(Id("c2"), Round, 1, []));

        // when the deadline passes, and c3's reply comes after it
        var late = share.ReachDeadline();
        var after = share.Take(new KeysShared(Id("c3"), Round, 1, []));

        // then the three pending clients are timed out (the deadline in the detail), and the late reply is not counted
        Assert.Equal(["c1", "c3", "c4"], late.Select(c => c.Value));
        Assert.All(share.Tracker.Drops, d => Assert.Equal((Share, DropReason.TimedOut), (d.Phase, d.Reason)));
        Assert.All(share.Tracker.Drops, d => Assert.Contains(Timeout.ToString(), d.Detail));
        Assert.Null(after);
        Assert.Equal((true, true, false, 1), (share.IsDone, share.DeadlineReached, share.Succeeded, share.Tracker.ReplyCount));
        Assert.False(share.Drop(Id("c1"), DropReason.Stopped, "stopped after the deadline"));
    }

    [Fact]
    public void Phase_WhenAClientReportsItsTrainerWasCancelledAtTheDeadline_DropsItAsTimedOut()
    {
        // given two clients asked to share keys
        var share = new PhaseRun(ShareSpec(Ids("c1", "c2"), minReplies: 1), Round, 1);

        // when c1's report that its token fired arrives before the phase's own deadline tick, and c2 crashed
        var cancelled = share.Take(new ClientFailed(Id("c1"), Round, 1, Share, "cancelled at the deadline (00:00:05)", Cancelled: true));
        var crashed = share.Take(new ClientFailed(Id("c2"), Round, 1, Share, "out of memory", Cancelled: false));

        // then c1 timed out, as it would have at the tick, and only c2 failed
        Assert.Equal((DropReason.TimedOut, DropReason.Failed), (cancelled!.Reason, crashed!.Reason));
        Assert.Contains("cancelled at the deadline", cancelled.Detail);
    }

    [Fact]
    public void Phase_WhenAReplyBelongsToAnotherPhaseRoundOrAttempt_DoesNotAnswerIt()
    {
        // given the share-keys phase of round 4, attempt 2
        var share = new PhaseRun(ShareSpec(Ids("c1"), minReplies: 1), Round, 2);

        // when replies of several kinds arrive
        bool Answers(IPhaseReply reply) => share.Answers(reply);

        // then only this phase's reply type, and a failure naming this phase, of this round and attempt, answer it
        Assert.True(Answers(new KeysShared(Id("c1"), Round, 2, [])));
        Assert.True(Answers(new ClientFailed(Id("c1"), Round, 2, Share, "crashed", Cancelled: false)));
        Assert.False(Answers(new KeysAdvertised(Id("c1"), Round, 2, 7)));
        Assert.False(Answers(new ClientFailed(Id("c1"), Round, 2, Advertise, "crashed", Cancelled: false)));
        Assert.False(Answers(new KeysShared(Id("c1"), Round, 1, [])));
        Assert.False(Answers(new KeysShared(Id("c1"), Round.Next(), 2, [])));
    }

    private static PhaseSpec AdvertiseSpec(ImmutableArray<ClientId> participants, int minReplies) =>
        Spec(Advertise, participants, _ => new AdvertiseKeys(Round), typeof(KeysAdvertised), _ => null, minReplies);

    // Each client shares with every other client that advertised.
    private static PhaseSpec ShareSpec(ImmutableArray<ClientId> participants, int minReplies) =>
        Spec(Share, participants, c => new ShareKeys(Round, [.. participants.Where(p => p != c)]), typeof(KeysShared), _ => null, minReplies);

    private static PhaseSpec MaskSpec(ImmutableArray<ClientId> participants, int minReplies) =>
        Spec(
            Mask,
            participants,
            c => new SendMaskedInput(Round, [.. participants.Where(p => p != c)]),
            typeof(MaskedInput),
            reply => reply is MaskedInput { Masked.Length: var n } && n != InputLength ? $"masked input of {n} values, expected {InputLength}" : null,
            minReplies);

    private static PhaseSpec Spec(string name, ImmutableArray<ClientId> participants, Func<ClientId, IFedActorsMessage> request, Type reply, Func<IPhaseReply, string?> validate, int minReplies) =>
        new(name, participants, request, reply, validate, Timeout, minReplies, CloseAtReplies: null);

    private static ImmutableArray<ClientId> Survivors(PhaseRun phase) => [.. phase.Tracker.Replies.Select(r => r.Key)];

    private static (string Name, string Asked, string Replied, string Dropped, bool DeadlineReached) Summary(PhaseRecord r) => (
        r.Name,
        string.Join(",", r.Asked),
        string.Join(",", r.Replied),
        string.Join(",", r.Dropped.Select(d => $"{d.Client} {d.Reason}")),
        r.DeadlineReached);

    private static ClientId Id(string id) => new(id);

    private static ImmutableArray<ClientId> Ids(params string[] ids) => [.. ids.Select(Id)];

    // Test-only messages: a PhaseRun never serializes them.
    private sealed record AdvertiseKeys(RoundNumber Round) : IFedActorsMessage;

    private sealed record KeysAdvertised(ClientId Client, RoundNumber Round, int Attempt, int PublicKey) : IPhaseReply;

    private sealed record ShareKeys(RoundNumber Round, ImmutableArray<ClientId> Peers) : IFedActorsMessage;

    private sealed record KeysShared(ClientId Client, RoundNumber Round, int Attempt, ImmutableArray<ClientId> SharedWith) : IPhaseReply;

    private sealed record SendMaskedInput(RoundNumber Round, ImmutableArray<ClientId> Peers) : IFedActorsMessage;

    private sealed record MaskedInput(ClientId Client, RoundNumber Round, int Attempt, float[] Masked) : IPhaseReply;
}
