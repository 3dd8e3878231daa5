using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Core.Checkpoints;
using FedActors.Core.Client;
using FedActors.Core.Metrics;
using FedActors.Core.Server;

namespace FedActors.Core.Simulation;

/// <summary>
/// A run's server side in an actor system: the coordinator and the listener that turns its events
/// into a task. Shared by the in-process simulation, whose clients live in the same system, and by
/// a cluster's server node, whose clients register from other nodes.
/// </summary>
/// <param name="Coordinator">The coordinator, for clients (or a transport layer's stand-ins) to register with.</param>
/// <param name="Outcome">Completes when the run completes or fails.</param>
public sealed record CoordinatorRun(IActorRef Coordinator, Task<RunOutcome> Outcome)
{
    /// <summary>Starts the coordinator of <paramref name="setup"/>'s run in <paramref name="system"/>.</summary>
    /// <param name="system">Where the coordinator runs: an actor system created from <see cref="Configuration.FedActorsConfig.Load"/>, or an actor's context, whose children the coordinator and its listener then are (a cluster singleton's).</param>
    /// <param name="settings">The coordinator's checked settings.</param>
    /// <param name="setup">The initial model or checkpoint, the strategy, the central evaluator and the checkpoint folder; its trainers are not used here.</param>
    /// <param name="clientStates">The clients' kept state for checkpoints, when they share this process; null on a server whose clients keep theirs on their own nodes.</param>
    /// <param name="onRound">Called after each record (on an actor thread: keep it short and thread-safe).</param>
    public static CoordinatorRun Start(IActorRefFactory system, RoundCoordinatorSettings settings, SimulationSetup setup, ClientStateStore? clientStates, Action<RoundRecord>? onRound)
    {
        var identity = setup.RunIdentity ?? ImmutableSortedDictionary<string, string>.Empty;
        Action<RunCheckpoint>? save = setup.Checkpoints is { } store
            ? server => store.Save(new Checkpoint(server, clientStates?.Snapshot(server.Round) ?? [], identity))
            : null;
        Func<PrivacySpentRecord, Task>? saveSpent = setup.Checkpoints is IPrivacySpentStore spentStore ? spentStore.SaveSpent : null;
        var start = new RunStart(setup.InitialParameters, setup.Clients.Count, setup.Resume?.Server, save, setup.Resume?.Spent, saveSpent);
        var outcome = new TaskCompletionSource<RunOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var listener = system.ActorOf(RunListener.Props(outcome, onRound), "run-listener");
        var coordinator = system.ActorOf(RoundCoordinator.Props(settings, setup.Strategy, setup.CentralEvaluator, listener, start), "coordinator");
        return new CoordinatorRun(coordinator, outcome.Task);
    }
}
