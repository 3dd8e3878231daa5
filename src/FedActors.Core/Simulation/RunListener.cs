using Akka.Actor;
using FedActors.Core.Metrics;
using FedActors.Core.Server;

namespace FedActors.Core.Simulation;

/// <summary>Turns the coordinator's events into a caller's callback and a completed task.</summary>
internal sealed class RunListener : ReceiveActor
{
    public RunListener(TaskCompletionSource<RunOutcome> outcome, Action<RoundRecord>? onRound)
    {
        Receive<RoundCompleted>(m => onRound?.Invoke(m.Record));
        Receive<AttemptFailed>(m => onRound?.Invoke(m.Record));
        Receive<RunCompleted>(m => outcome.TrySetResult(new RunOutcome(true, null, m.History, m.Final) { StopReason = m.StopReason }));
        Receive<RunFailed>(m => outcome.TrySetResult(new RunOutcome(false, m.Reason, m.History, null)));
        Receive<RunStopped>(m => outcome.TrySetResult(new RunOutcome(false, m.Reason, m.History, null) { StoppedAfter = m.LastCompleted }));
    }

    public static Props Props(TaskCompletionSource<RunOutcome> outcome, Action<RoundRecord>? onRound) =>
        Akka.Actor.Props.Create(() => new RunListener(outcome, onRound));
}
