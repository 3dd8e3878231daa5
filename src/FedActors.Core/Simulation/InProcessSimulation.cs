using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Server;

namespace FedActors.Core.Simulation;

/// <summary>
/// Runs a federated training run with every client as an actor in this process: the same
/// coordinator, client actors, supervision and serializer as a cluster deployment, with the
/// network left out.
/// </summary>
public static class InProcessSimulation
{
    /// <summary>Runs the simulation to its end.</summary>
    /// <param name="config">The user's configuration; the embedded defaults fill in the rest.</param>
    /// <param name="setup">The clients, trainers, initial model and strategy.</param>
    /// <param name="onRound">Called after each round (on an actor thread: keep it short and thread-safe).</param>
    /// <param name="cancellationToken">Stops the run; the task is then cancelled.</param>
    /// <exception cref="ConfigurationException">A setting is invalid, or impossible for this number of clients.</exception>
    public static async Task<RunOutcome> RunAsync(
        Config config,
        SimulationSetup setup,
        Action<RoundRecord>? onRound = null,
        CancellationToken cancellationToken = default)
    {
        var full = FedActorsConfig.Load(config);
        var settings = RoundCoordinatorSettings.Create(full);
        var clientSettings = ClientSupervisorSettings.Create(full);
        CheckFeasible(settings, setup.Clients.Count);

        var outcome = new TaskCompletionSource<RunOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var system = ActorSystem.Create("fedactors-simulation", full);
        try
        {
            await using var cancel = cancellationToken.Register(() => outcome.TrySetCanceled(cancellationToken));
            var listener = system.ActorOf(RunListener.Props(outcome, onRound), "run-listener");
            var coordinator = system.ActorOf(
                RoundCoordinator.Props(settings, setup.Strategy, setup.InitialParameters, setup.CentralEvaluator, listener, clientsBeforeFirstRound: setup.Clients.Count),
                "coordinator");
            system.ActorOf(ClientSupervisor.Props(clientSettings, coordinator, setup.Clients, setup.TrainerFactory), "clients");
            return await outcome.Task.ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    private static void CheckFeasible(RoundCoordinatorSettings settings, int clients)
    {
        if (clients < 1)
        {
            throw new ConfigurationException("a simulation needs at least one client");
        }

        if (settings.MinAvailableClients > clients)
        {
            throw new ConfigurationException(
                $"configuration key 'fedactors.server.min-available-clients' is {settings.MinAvailableClients}, " +
                $"but the simulation has only {clients} clients: no round could ever start");
        }
    }
}
