using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Metrics;

/// <summary>One exchange of a round with its participants: who was asked, who replied, who was dropped, and how it ended.</summary>
/// <param name="Name">The phase (<c>fit</c>, <c>evaluate</c>, ...).</param>
/// <param name="Asked">Participants, in id order.</param>
/// <param name="Replied">Clients whose valid reply the phase kept, in id order.</param>
/// <param name="Dropped">Clients left out, with the reason, in id order.</param>
/// <param name="DeadlineReached">True when the phase ended at its deadline rather than with every reply.</param>
/// <param name="Duration">From the first request to the phase's end.</param>
public sealed record PhaseRecord(
    string Name,
    ImmutableArray<ClientId> Asked,
    ImmutableArray<ClientId> Replied,
    ImmutableArray<ClientDrop> Dropped,
    bool DeadlineReached,
    TimeSpan Duration);
