using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Configuration;
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
/// composed into Core's in-process simulation, or into a cluster's server node (whose host is
/// <see cref="ClusterServerHost"/>). Everything else in the CLI knows neither.
/// </summary>
/// <param name="host">Runs the prepared run: in process (the default), or on a server node whose clients register from client nodes.</param>
internal sealed class TorchSimulationEngine(TorchSimulationEngine.Host? host = null) : ISimulationEngine
{
    /// <summary>Runs a prepared run to its end.</summary>
    public delegate Task<RunOutcome> Host(RuntimeSettings settings, SimulationSetup setup, Action<RoundRecord> onRound, CancellationToken ct);

    /// <inheritdoc />
    public async Task<SimulationResult> RunAsync(SimulationSettings settings, SimulationStart start, Action<RoundRecord> onRound, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();

        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(settings.TorchThreads);
        var data = await Task.Run(() => FashionMnist.Load(settings.DatasetDirectory, settings.TrainLimit, settings.TestLimit), ct);
        var model = ModelKindNames.Parse(settings.Model);
        var seeded = ModelFactory.InitialParameters(model, settings.Server.Seed);

        // Partitioned only if a trainer is asked for: a server node's clients train elsewhere.
        var parties = new Lazy<(List<ClientId> Clients, Func<ClientId, ITrainer> Trainers, IReadOnlySet<ClientId> Attackers)>(() => RunClients.Of(settings, model, data.Train));
        var clients = RunClients.Ids(settings.Clients);
        if (host is null)
        {
            // In process the clients train here: an impossible partitioning is a usage error before the run, not a failing client.
            _ = parties.Value;
        }

        var setup = new SimulationSetup(
            clients,
            id => parties.Value.Trainers(id),
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
        var outcome = await (host ?? InProcess)(settings.Runtime, setup, onRound, ct);
        return new SimulationResult(outcome.Succeeded, outcome.FailureReason, outcome.History, outcome.FinalParameters, data.Test.Count, preparation, clock.Elapsed - preparation)
        {
            Attackers = [.. settings.Attack.ChooseAttackers(clients, settings.Server.Seed).Order()],
            StopReason = outcome.StopReason,
            StoppedAfter = outcome.StoppedAfter?.Value,
        };
    }

    private static Task<RunOutcome> InProcess(RuntimeSettings settings, SimulationSetup setup, Action<RoundRecord> onRound, CancellationToken ct) =>
        InProcessSimulation.RunAsync(settings, setup, onRound, ct);

    private static Parameters InitialModel(string file, ParameterLayout expected)
    {
        var parameters = SafetensorsFile.Read(file).Tensors;
        return expected.DescribeMismatch(parameters.Layout) is { } mismatch
            ? throw new InvalidDataException($"--initial-model {file} does not fit the configured model: {mismatch}")
            : parameters;
    }
}
