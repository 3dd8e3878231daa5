using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The settings a simulation needs, read and range-checked from the merged configuration before
/// anything runs, plus the checks that need several keys at once (settings that cannot work
/// together). Immutable; create with <see cref="Read"/>.
/// </summary>
internal sealed record SimulationSettings(
    RoundCoordinatorSettings Server,
    int Clients,
    string Model,
    string DatasetDirectory,
    int TrainLimit,
    int TestLimit,
    string Scheme,
    double Alpha,
    int ShardsPerClient,
    int LabelsPerClient,
    int Parallelism,
    int TorchThreads,
    string OutputDirectory)
{
    /// <summary>The model names <c>fedactors.simulation.model</c> accepts.</summary>
    public static IReadOnlyList<string> Models => ModelKindNames.All;

    /// <summary>The schemes <c>fedactors.simulation.partitioning.scheme</c> accepts.</summary>
    public static IReadOnlyList<string> Schemes => PartitionerFactory.SchemeNames;

    private const int FashionMnistTrainSize = 60_000;

    /// <summary>Clients sampled each round: fraction-fit of the clients, at least min-fit-clients.</summary>
    public int SampledPerRound => ClientSampler.SampleSize(Clients, Server.FractionFit, Server.MinFitClients);

    /// <summary>Reads and checks every setting, Core's included (server, client supervision, strategy).</summary>
    /// <exception cref="ConfigurationException">A value is ill-typed, out of range, or impossible with the others; the message names the keys.</exception>
    public static SimulationSettings Read(Config config)
    {
        var server = RoundCoordinatorSettings.Create(config);
        _ = ClientSupervisorSettings.Create(config);
        _ = StrategyCatalog.FromConfig(config);

        var r = new ConfigReader(config);
        const string S = "fedactors.simulation.";
        var settings = new SimulationSettings(
            server,
            Clients: r.Int(S + "clients", min: 1),
            Model: r.OneOf(S + "model", [.. Models]),
            DatasetDirectory: r.String(S + "dataset.directory"),
            TrainLimit: r.Int(S + "dataset.train-limit", min: 0),
            TestLimit: r.Int(S + "dataset.test-limit", min: 0),
            Scheme: r.OneOf(S + "partitioning.scheme", [.. Schemes]),
            Alpha: r.Double(S + "partitioning.alpha", min: 0, minExclusive: true),
            ShardsPerClient: r.Int(S + "partitioning.shards-per-client", min: 1),
            LabelsPerClient: r.Int(S + "partitioning.labels-per-client", min: 1, max: 10),
            Parallelism: r.Int("fedactors.training.parallelism", min: 1, max: 1024),
            TorchThreads: r.Int("fedactors.training.torch-threads", min: 1, max: 1024),
            OutputDirectory: r.String(S + "output-directory"));
        return settings.CheckedTogether();
    }

    private SimulationSettings CheckedTogether()
    {
        if (Server.MinFitClients > Clients)
        {
            throw Impossible($"'fedactors.server.min-fit-clients' is {Server.MinFitClients}, but only {Clients} clients exist ('fedactors.simulation.clients'): a round can never sample that many");
        }

        if (Server.MinAvailableClients > Clients)
        {
            throw Impossible($"'fedactors.server.min-available-clients' is {Server.MinAvailableClients}, but only {Clients} clients exist ('fedactors.simulation.clients'): the first round would wait for clients that never come");
        }

        var trainSize = TrainLimit > 0 ? Math.Min(TrainLimit, FashionMnistTrainSize) : FashionMnistTrainSize;
        if (Clients > trainSize)
        {
            throw Impossible($"'fedactors.simulation.clients' is {Clients}, more than the {trainSize} training samples ('fedactors.simulation.dataset.train-limit'): some clients would hold no data");
        }

        if (Scheme == "shards" && (long)Clients * ShardsPerClient > trainSize)
        {
            throw Impossible($"'fedactors.simulation.partitioning.shards-per-client' ({ShardsPerClient}) times 'fedactors.simulation.clients' ({Clients}) is more shards than the {trainSize} training samples");
        }

        return this;
    }

    private static ConfigurationException Impossible(string message) => new("impossible settings: " + message);
}
