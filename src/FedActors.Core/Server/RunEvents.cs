using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

// What the RoundCoordinator tells its listener. These stay in the server's process (the
// listener is a local actor such as the simulation's progress reporter), so they are not part
// of the wire protocol.

/// <summary>A round finished and its new global model is in place (and checkpointed, when checkpoints are on).</summary>
public sealed record RoundCompleted(RoundRecord Record) : INoSerializationVerificationNeeded;

/// <summary>An attempt at a round failed; it is retried, or <see cref="RunFailed"/> follows.</summary>
public sealed record AttemptFailed(RoundRecord Record) : INoSerializationVerificationNeeded;

/// <summary>The run finished: all its rounds, or those before the strategy ended it (<see cref="StopReason"/>).</summary>
/// <param name="History">Every record, failed attempts included; round 0 (the initial model) first when a central evaluator is set.</param>
/// <param name="Final">The final global model.</param>
public sealed record RunCompleted(ImmutableArray<RoundRecord> History, Parameters Final) : INoSerializationVerificationNeeded
{
    /// <summary>Why the run ended before its last round (the strategy's <c>BeforeAttempt</c>, e.g. a spent privacy budget); null when every round ran.</summary>
    public string? StopReason { get; init; }
}

/// <summary>The run stopped before its last round.</summary>
/// <param name="Reason">What went wrong, in words a user can act on.</param>
/// <param name="History">The records so far, failed attempts included.</param>
public sealed record RunFailed(string Reason, ImmutableArray<RoundRecord> History) : INoSerializationVerificationNeeded;

/// <summary>The run was stopped on request (<see cref="StopRun"/>) before its end; it resumes from the checkpoint of <paramref name="LastCompleted"/>.</summary>
/// <param name="Reason">Why it was stopped.</param>
/// <param name="LastCompleted">The last completed round (0 when none completed), whose checkpoint, when checkpoints are on, is written.</param>
/// <param name="History">The records so far, failed and abandoned attempts included.</param>
public sealed record RunStopped(string Reason, RoundNumber LastCompleted, ImmutableArray<RoundRecord> History) : INoSerializationVerificationNeeded;
