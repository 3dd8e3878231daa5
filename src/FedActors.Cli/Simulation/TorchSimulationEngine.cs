using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Simulation;

/// <summary>
/// The glue: Fashion-MNIST, partitioner, model and trainer from FedActors.Torch, composed into
/// Core's in-process simulation. Waiting for Core's simulation runner and the Torch layer.
/// </summary>
internal sealed class TorchSimulationEngine : ISimulationEngine
{
    /// <inheritdoc />
    public Task<SimulationResult> RunAsync(SimulationSettings settings, Config config, Action<RoundRecord> onRound, CancellationToken ct) =>
        throw new NotSupportedException("this build has no simulation runner yet (FedActors.Core's InProcessSimulation and FedActors.Torch are not merged into the CLI)");
}
