using System.Diagnostics;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;
using FedActors.Torch.Training;

namespace FedActors.Cli.Simulation;

/// <summary>
/// The glue: Fashion-MNIST, the partitioner, the model and its trainers from FedActors.Torch,
/// composed into Core's in-process simulation. Everything else in the CLI knows neither.
/// </summary>
internal sealed class TorchSimulationEngine : ISimulationEngine
{
    /// <inheritdoc />
    public async Task<SimulationResult> RunAsync(SimulationSettings settings, Config config, Action<RoundRecord> onRound, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();

        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(settings.TorchThreads);
        var data = await Task.Run(() => FashionMnist.Load(settings.DatasetDirectory, settings.TrainLimit, settings.TestLimit), ct);
        var model = ModelKindNames.Parse(settings.Model);
        var clients = ClientIds(settings.Clients);
        var factory = new TorchTrainerFactory(model, data.Train, clients, Partition(settings, data.Train));
        var setup = new SimulationSetup(
            clients,
            factory.Create,
            ModelFactory.InitialParameters(model, settings.Server.Seed),
            StrategyCatalog.FromConfig(config),
            new TorchCentralEvaluator(model, data.Test, settings.Parallelism));
        var preparation = clock.Elapsed;

        var outcome = await InProcessSimulation.RunAsync(config, setup, onRound, ct);
        return new SimulationResult(outcome.Succeeded, outcome.FailureReason, outcome.History, data.Test.Count, preparation, clock.Elapsed - preparation);
    }

    // Zero-padded, so that the ordinal order Core aggregates and samples in is the numeric order.
    private static List<ClientId> ClientIds(int count)
    {
        var width = (count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture).Length;
        return Enumerable.Range(0, count).Select(i => new ClientId("client-" + i.ToString("D" + width, System.Globalization.CultureInfo.InvariantCulture))).ToList();
    }

    private static int[][] Partition(SimulationSettings s, LabeledImages train)
    {
        try
        {
            return PartitionerFactory.Create(s.Scheme, s.Server.Seed, s.Alpha, s.ShardsPerClient, s.LabelsPerClient).Partition(train.Labels, s.Clients);
        }
        catch (ArgumentException e)
        {
            // The split is impossible for these settings: a configuration error, reported with its sources.
            throw new ConfigurationException(
                $"impossible settings: 'fedactors.simulation.partitioning.scheme' ({s.Scheme}) cannot split {train.Count} samples among "
                + $"'fedactors.simulation.clients' ({s.Clients}): {e.Message}");
        }
    }
}
