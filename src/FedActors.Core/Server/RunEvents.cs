using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Core.Metrics;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

// What the RoundCoordinator tells its listener. These stay in the server's process (the
// listener is a local actor such as the simulation's progress reporter), so they are not part
// of the wire protocol.

/// <summary>A round finished and its new global model is in place.</summary>
public sealed record RoundCompleted(RoundRecord Record) : INoSerializationVerificationNeeded;

/// <summary>The run finished all its rounds.</summary>
/// <param name="History">Every round's record, round 0 (the initial model) first when a central evaluator is set.</param>
/// <param name="Final">The final global model.</param>
public sealed record RunCompleted(ImmutableArray<RoundRecord> History, Parameters Final) : INoSerializationVerificationNeeded;

/// <summary>The run stopped before its last round.</summary>
/// <param name="Reason">What went wrong, in words a user can act on.</param>
/// <param name="History">The rounds that did complete.</param>
public sealed record RunFailed(string Reason, ImmutableArray<RoundRecord> History) : INoSerializationVerificationNeeded;
