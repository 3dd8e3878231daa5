using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Simulation;

/// <summary>Runs one simulation: the seam between the command (options, progress, outputs) and the runtime.</summary>
internal interface ISimulationEngine
{
    /// <summary>Prepares the data, the clients and the model, then runs every round.</summary>
    /// <param name="settings">The checked settings.</param>
    /// <param name="config">The merged configuration (over the embedded defaults) for the runtime.</param>
    /// <param name="onRound">Called after every round with its record, on any thread.</param>
    /// <param name="ct">Stops the run.</param>
    Task<SimulationResult> RunAsync(SimulationSettings settings, Config config, Action<RoundRecord> onRound, CancellationToken ct);
}
