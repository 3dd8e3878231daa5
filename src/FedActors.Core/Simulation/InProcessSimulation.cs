using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Server;

namespace FedActors.Core.Simulation;

/// <summary>
/// Runs a federated training run with every client as an actor in this process: the same
/// coordinator, client actors, supervision and serializer as a cluster deployment, with the
/// network left out. The clients' kept state lives in one <see cref="ClientStateStore"/>, which
/// is part of every checkpoint, so a resumed run continues exactly where the checkpoint left it.
/// </summary>
public static class InProcessSimulation
{
    /// <summary>Reads the settings from <paramref name="config"/> (over the embedded defaults), then runs the simulation to its end.</summary>
    /// <exception cref="ConfigurationException">A setting is invalid, or impossible for this number of clients.</exception>
    public static Task<RunOutcome> RunAsync(
        Config config,
        SimulationSetup setup,
        Action<RoundRecord>? onRound = null,
        CancellationToken cancellationToken = default) =>
        RunAsync(RuntimeSettings.Read(config), setup, onRound, cancellationToken);

    /// <summary>Runs the simulation to its end with settings already checked.</summary>
    /// <param name="settings">Core's settings and the actor system's configuration.</param>
    /// <param name="setup">The clients, trainers, initial model, strategy and checkpoints.</param>
    /// <param name="onRound">Called after each record, completed rounds and failed attempts (on an actor thread: keep it short and thread-safe).</param>
    /// <param name="cancellationToken">Stops the run; the task is then cancelled.</param>
    /// <exception cref="ConfigurationException">A setting is impossible for this number of clients.</exception>
    public static async Task<RunOutcome> RunAsync(
        RuntimeSettings settings,
        SimulationSetup setup,
        Action<RoundRecord>? onRound = null,
        CancellationToken cancellationToken = default)
    {
        settings.Server.CheckFeasibleFor(setup.Clients.Count, "the simulation's clients");
        var (releases, counted) = settings.Clients.LocalDp is null ? (ReleaseLedger.InMemory(), false) : OpenReleaseLedger(setup);
        using var store = new ClientStateStore(settings.Clients.StateMemoryBudget, settings.Clients.StateSpillDirectory, releases);
        if (setup.Resume is { } resume)
        {
            store.Restore(resume.ClientStates);
            if (settings.Clients.LocalDp is not null && !counted)
            {
                // No ledger kept this run's releases: every client asked in an attempt of the history may have made one.
                foreach (var asked in resume.Server.History.SelectMany(r => r.Asked).GroupBy(c => c))
                {
                    store.Releases.RaiseTo(asked.Key, asked.LongCount());
                }
            }
        }

        var system = ActorSystem.Create("fedactors-simulation", settings.Config);
        try
        {
            var run = CoordinatorRun.Start(system, settings.Server, setup, store, onRound);
            system.ActorOf(ClientSupervisor.Props(settings.Clients, run.Coordinator, setup.Clients, setup.TrainerFactory, store, registerInBulk: true), "clients");
            return await run.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    // Under local DP a client has released its update once it sent it, whether or not the round
    // completes: with a checkpoint folder the counts are kept there, each durable before its
    // release is sent, so a resume after a stop or a kill mid-round still counts it. Counted is
    // true when the ledger holds this run's releases so far: a fresh run's (it starts empty, a
    // run's accounting being its own) or one kept beside the checkpoint resumed from.
    private static (ReleaseLedger Ledger, bool Counted) OpenReleaseLedger(SimulationSetup setup)
    {
        if (setup.Checkpoints is not CheckpointFolder folder)
        {
            return (ReleaseLedger.InMemory(), setup.Resume is null);
        }

        var path = folder.LocalDpReleasesPath;
        if (setup.Resume is null)
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            return (ReleaseLedger.Persistent(path), true);
        }

        var ledger = ReleaseLedger.Persistent(path);
        if (!Directory.Exists(path))
        {
            // A checkpoint written without a ledger beside it (an older FedActors): from the history, then kept here.
            return (ledger, false);
        }

        ledger.Verify();
        return (ledger, true);
    }
}
