using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// One exchange of a round with a set of clients, as the phase runner (<see cref="PhaseRun"/>)
/// executes it: fit and federated evaluation today; the four exchanges of secure aggregation
/// (advertise keys, share keys, masked input, unmask) are further phases of the same shape,
/// each taking its participants from the survivors of the one before.
/// </summary>
/// <param name="Name">The phase's name, in drops, deadlines and records (<c>fit</c>, <c>evaluate</c>).</param>
/// <param name="Participants">Who is asked: a sample, or the survivors of the phase before.</param>
/// <param name="RequestFor">The request a participant is sent.</param>
/// <param name="ReplyType">The reply the phase collects (a <see cref="ClientFailed"/> naming the phase also ends a participant's part).</param>
/// <param name="Validate">Why a reply is unusable (it is then dropped as invalid), or null when it is fine.</param>
/// <param name="Timeout">The phase's deadline, from its first request; it travels with the requests.</param>
/// <param name="MinReplies">Valid replies the phase needs to succeed.</param>
/// <param name="CloseAtReplies">Close the phase at this many valid replies (over-selection); null waits for every participant.</param>
/// <param name="Keep">What the phase keeps of a valid reply (a streamed fit keeps its metadata, not its parameters); null keeps the reply.</param>
internal sealed record PhaseSpec(
    string Name,
    ImmutableArray<ClientId> Participants,
    Func<ClientId, IFedActorsMessage> RequestFor,
    Type ReplyType,
    Func<IPhaseReply, string?> Validate,
    TimeSpan Timeout,
    int MinReplies,
    int? CloseAtReplies,
    Func<IPhaseReply, IPhaseReply>? Keep = null);
