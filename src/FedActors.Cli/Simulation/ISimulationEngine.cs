using System.Collections.Immutable;
using FedActors.Cli.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Simulation;

/// <summary>Runs one simulation: the seam between the command (options, progress, outputs) and the runtime.</summary>
internal interface ISimulationEngine
{
    /// <summary>Prepares the data, the clients and the model, then runs every round.</summary>
    /// <param name="settings">The checked settings, the runtime's included.</param>
    /// <param name="start">Where the run starts: fresh (from an initial model file or the seeded one) or from a checkpoint.</param>
    /// <param name="onRound">Called after every record (completed rounds and failed attempts), on any thread.</param>
    /// <param name="ct">Stops the run.</param>
    Task<SimulationResult> RunAsync(SimulationSettings settings, SimulationStart start, Action<RoundRecord> onRound, CancellationToken ct);
}

/// <summary>Where a simulation starts.</summary>
/// <param name="Resume">The checkpoint to continue from; null for a fresh run.</param>
/// <param name="InitialModelFile">A safetensors file to start a fresh run from; null for the model's seeded initialisation.</param>
/// <param name="Identity">What identifies the run's result, saved with every checkpoint.</param>
internal sealed record SimulationStart(Checkpoint? Resume, string? InitialModelFile, ImmutableSortedDictionary<string, string> Identity);
