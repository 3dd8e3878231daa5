using Akka.Actor;

namespace FedActors.Core.Server;

/// <summary>
/// Asks the coordinator to stop the run before its end (an operator's SIGTERM or Ctrl-C), so that
/// it can be resumed from its last checkpoint: the coordinator answers its listener with
/// <see cref="RunStopped"/>, naming the last completed round.
/// </summary>
/// <param name="Reason">Why, for the record and the logs (the signal).</param>
/// <param name="FinishRound">
/// True to let the round in progress run to its end (each phase bounded by its deadline; no retry
/// after a failed attempt), so its checkpoint is written; false to abandon it at once, losing only
/// its work. Between rounds, and while waiting for clients, the run stops at once either way.
/// </param>
public sealed record StopRun(string Reason, bool FinishRound) : INoSerializationVerificationNeeded;
