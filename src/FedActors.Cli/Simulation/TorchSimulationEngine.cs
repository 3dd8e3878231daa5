using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
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
    public async Task<SimulationResult> RunAsync(SimulationSettings settings, SimulationStart start, Action<RoundRecord> onRound, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();

        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(settings.TorchThreads);
        var data = await Task.Run(() => FashionMnist.Load(settings.DatasetDirectory, settings.TrainLimit, settings.TestLimit), ct);
        var model = ModelKindNames.Parse(settings.Model);
        var clients = ClientIds(settings.Clients);
        var seeded = ModelFactory.InitialParameters(model, settings.Server.Seed);
        var attackers = settings.Attack.ChooseAttackers(clients, settings.Server.Seed);
        var setup = new SimulationSetup(
            clients,
            settings.Attack.Wrap(Trainers(settings, model, data.Train, clients, attackers), attackers),
            start.InitialModelFile is { } file ? InitialModel(file, seeded.Layout) : seeded,
            settings.Strategy,
            new TorchCentralEvaluator(model, data.Test, settings.Parallelism),
            settings.CheckpointDirectory is { } folder ? new CheckpointFolder(folder) : null,
            start.Resume,
            start.Identity);
        if (start.Resume?.Server.Global.Layout.DescribeMismatch(seeded.Layout) is { } mismatch)
        {
            throw new InvalidDataException($"the checkpoint's global model does not fit the {settings.Model} model: {mismatch}");
        }

        var preparation = clock.Elapsed;
        var outcome = await InProcessSimulation.RunAsync(settings.Runtime, setup, onRound, ct);
        return new SimulationResult(outcome.Succeeded, outcome.FailureReason, outcome.History, outcome.FinalParameters, data.Test.Count, preparation, clock.Elapsed - preparation)
        {
            Attackers = [.. attackers.Order()],
            StopReason = outcome.StopReason,
        };
    }

    // Zero-padded, so that the ordinal order Core aggregates and samples in is the numeric order.
    private static List<ClientId> ClientIds(int count)
    {
        var width = (count - 1).ToString(CultureInfo.InvariantCulture).Length;
        return Enumerable.Range(0, count).Select(i => new ClientId("client-" + i.ToString("D" + width, CultureInfo.InvariantCulture))).ToList();
    }

    // With federated evaluation on, each client trains on part of its shard and evaluates on the rest;
    // label-flipping attackers train (and evaluate) on the same images with flipped labels.
    private static Func<ClientId, ITrainer> Trainers(SimulationSettings s, ModelKind model, LabeledImages train, List<ClientId> clients, IReadOnlySet<ClientId> attackers)
    {
        var shards = Partition(s, train);
        var (trainShards, heldOut) = HeldOutSplit.Split(shards, s.EffectiveHeldOutShare, s.Server.Seed);
        TorchTrainerFactory Over(LabeledImages images) => s.EffectiveHeldOutShare == 0
            ? new TorchTrainerFactory(model, images, clients, trainShards)
            : new TorchTrainerFactory(
                model,
                images,
                clients.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => trainShards[x.i]),
                test: images,
                testShards: clients.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => heldOut[x.i]));

        var honest = Over(train);
        if (s.Attack.Kind != AttackKind.LabelFlip || attackers.Count == 0)
        {
            return honest.Create;
        }

        var poisoned = Over(train.WithLabels(y => (byte)(ModelFactory.ClassCount - 1 - y)));
        return id => attackers.Contains(id) ? poisoned.Create(id) : honest.Create(id);
    }

    private static Parameters InitialModel(string file, ParameterLayout expected)
    {
        var parameters = SafetensorsFile.Read(file).Tensors;
        return expected.DescribeMismatch(parameters.Layout) is { } mismatch
            ? throw new InvalidDataException($"--initial-model {file} does not fit the configured model: {mismatch}")
            : parameters;
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
