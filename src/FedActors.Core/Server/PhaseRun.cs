using System.Diagnostics;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// The phase runner: one <see cref="PhaseSpec"/> in one attempt at a round, from its requests to
/// its end. It knows nothing of what the phase is for; its host (the coordinator) feeds it the
/// replies and events that concern the phase and continues the round when <see cref="IsDone"/>.
/// A phase ends when every participant has replied or been dropped, when it reaches
/// <see cref="PhaseSpec.CloseAtReplies"/> valid replies (the rest are dropped as not needed), or
/// at its deadline (the rest are dropped as timed out).
/// </summary>
internal sealed class PhaseRun
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _duration;

    public PhaseRun(PhaseSpec spec, RoundNumber round, int attempt)
    {
        Spec = spec;
        Round = round;
        Attempt = attempt;
        Tracker = new PhaseTracker<IPhaseReply>(spec.Name, spec.Participants);
    }

    public PhaseSpec Spec { get; }

    public RoundNumber Round { get; }

    public int Attempt { get; }

    public PhaseTracker<IPhaseReply> Tracker { get; }

    public bool DeadlineReached { get; private set; }

    public bool IsDone => Tracker.IsComplete || (Spec.CloseAtReplies is { } k && Tracker.ReplyCount >= k);

    /// <summary>True when the phase got the valid replies it needs.</summary>
    public bool Succeeded => Tracker.ReplyCount >= Spec.MinReplies;

    public TimeSpan Duration => _duration ?? _clock.Elapsed;

    /// <summary>True when <paramref name="reply"/> answers one of this phase's requests (whoever sent it).</summary>
    public bool Answers(IPhaseReply reply) =>
        reply.Round == Round && reply.Attempt == Attempt &&
        (reply is ClientFailed failed ? failed.Phase == Spec.Name : Spec.ReplyType.IsInstanceOfType(reply));

    /// <summary>Takes a reply from the registered actor of a participant; returns the drop it caused, if any.</summary>
    public ClientDrop? Take(IPhaseReply reply)
    {
        if (!Tracker.IsPending(reply.Client))
        {
            return null;
        }

        if (reply is ClientFailed failed)
        {
            // A trainer that honoured its token stopped at the deadline: that is a time-out, whether
            // its report or the phase's own deadline tick comes first.
            return Tracker.TryDrop(reply.Client, failed.Cancelled ? DropReason.TimedOut : DropReason.Failed, failed.Reason);
        }

        if (Spec.Validate(reply) is { } problem)
        {
            return Tracker.TryDrop(reply.Client, DropReason.InvalidUpdate, problem);
        }

        Tracker.Accept(reply.Client, Spec.Keep?.Invoke(reply) ?? reply);
        CloseIfEnough();
        return null;
    }

    /// <summary>Drops a participant for a reason outside its replies (stopped, unreachable, re-registered); false when it was not pending.</summary>
    public bool Drop(ClientId client, DropReason reason, string detail) => Tracker.Drop(client, reason, detail);

    /// <summary>The deadline passed: every participant still pending is dropped as timed out; returns them.</summary>
    public IReadOnlyList<ClientId> ReachDeadline()
    {
        DeadlineReached = true;
        var late = Tracker.DropAllPending(DropReason.TimedOut, $"no reply within {Spec.Timeout} (round-timeout); its cancellation token fired");
        End();
        return late;
    }

    /// <summary>Marks the phase's end for its duration.</summary>
    public void End() => _duration ??= _clock.Elapsed;

    // Who was asked, in client-id order like the replies: not in the order the requests went out
    // (FitOrder's), which a resumed run, starting without its memory, would not repeat.
    public PhaseRecord ToRecord() => new(
        Spec.Name,
        [.. Spec.Participants.Order()],
        [.. Tracker.Replies.Select(r => r.Key)],
        Tracker.Drops,
        DeadlineReached,
        Duration);

    private void CloseIfEnough()
    {
        if (Spec.CloseAtReplies is { } k && Tracker.ReplyCount >= k && !Tracker.IsComplete)
        {
            Tracker.DropAllPending(DropReason.NotNeeded, $"the phase closed at its first {k} replies (fit-first-replies)");
        }
    }
}
