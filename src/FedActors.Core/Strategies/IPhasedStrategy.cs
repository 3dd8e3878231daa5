using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Core.Strategies;

/// <summary>
/// A strategy whose rounds exchange more with their clients than the fit: secure aggregation
/// (Bonawitz et al. 2017, arXiv:1611.04482) advertises and shares keys before the masked input
/// and unmasks after it. Each phase it names runs on the coordinator's one phase runner, on the
/// survivors of the phase before (the sample for the first), with its own deadline
/// (round-timeout) and minimum of replies; a phase with fewer valid replies fails the attempt.
/// The strategy sees each phase's outcome before it names the next.
/// </summary>
public interface IPhasedStrategy : IStrategy
{
    /// <summary>The next phase before the fit, or null to go on to the fit.</summary>
    /// <param name="context">The round and attempt.</param>
    /// <param name="participants">Who the phase would ask: the sample, then the survivors of each phase.</param>
    /// <param name="previous">The outcome of the phase before; null for the first.</param>
    ClientPhase? NextPhaseBeforeFit(StrategyContext context, IReadOnlyList<ClientId> participants, PhaseOutcome? previous);

    /// <summary>The next phase after the fit, or null to aggregate.</summary>
    /// <param name="context">The round and attempt.</param>
    /// <param name="participants">Who the phase would ask: the clients whose update was valid, then the survivors of each phase.</param>
    /// <param name="previous">The outcome of the fit, then of each phase after it.</param>
    ClientPhase? NextPhaseAfterFit(StrategyContext context, IReadOnlyList<ClientId> participants, PhaseOutcome previous);
}

/// <summary>One extra phase of a round, as a strategy names it.</summary>
/// <param name="Name">The phase's name in drops, deadlines and records.</param>
/// <param name="RequestFor">The request each participant is sent; it names the round and attempt of the context.</param>
/// <param name="ReplyType">The reply the phase collects, an <see cref="IPhaseReply"/> type (a <see cref="ClientFailed"/> naming the phase also ends a participant's part).</param>
/// <param name="MinReplies">Valid replies the phase needs.</param>
/// <param name="Validate">Why a reply is unusable (it is then dropped as invalid), or null when it is fine; null accepts every reply.</param>
public sealed record ClientPhase(
    string Name,
    Func<ClientId, IFedActorsMessage> RequestFor,
    Type ReplyType,
    int MinReplies,
    Func<IPhaseReply, string?>? Validate = null);

/// <summary>What a phase collected: the valid replies and the drops, each in client-id order.</summary>
/// <param name="Name">The phase.</param>
/// <param name="Replies">The valid replies.</param>
/// <param name="Dropped">Who was dropped, and why.</param>
public sealed record PhaseOutcome(string Name, IReadOnlyList<IPhaseReply> Replies, IReadOnlyList<ClientDrop> Dropped);
