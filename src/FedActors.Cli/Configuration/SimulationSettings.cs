using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The settings a simulation needs, read and range-checked from the merged configuration before
/// anything runs, plus the checks that need several keys at once (settings that cannot work
/// together). Immutable; create with <see cref="Read"/>.
/// </summary>
internal sealed record SimulationSettings(
    int Rounds,
    int Seed,
    int Clients,
    string Model,
    string DatasetDirectory,
    int TrainLimit,
    int TestLimit,
    string Scheme,
    double Alpha,
    int ShardsPerClient,
    int LabelsPerClient,
    double FractionFit,
    int MinFitClients,
    int MinAvailableClients,
    int LocalEpochs,
    int BatchSize,
    double LearningRate,
    int Parallelism,
    int TorchThreads,
    string OutputDirectory)
{
    /// <summary>The model names <c>fedactors.simulation.model</c> accepts.</summary>
    public static readonly string[] Models = ["logistic-regression", "mlp", "cnn", "niid-cnn"];

    /// <summary>The schemes <c>fedactors.simulation.partitioning.scheme</c> accepts.</summary>
    public static readonly string[] Schemes = ["iid", "dirichlet", "shards", "label-quantity", "quantity-skew"];

    private const int FashionMnistTrainSize = 60_000;

    /// <summary>Clients sampled each round: fraction-fit of the clients, at least min-fit-clients.</summary>
    public int SampledPerRound => Math.Max(MinFitClients, (int)Math.Ceiling(FractionFit * Clients - 1e-9));

    /// <summary>Reads and checks every setting.</summary>
    /// <exception cref="ConfigurationException">A value is ill-typed, out of range, or impossible with the others; the message names the keys.</exception>
    public static SimulationSettings Read(Config config)
    {
        var r = new ConfigReader(config);
        const string S = "fedactors.simulation.";
        var settings = new SimulationSettings(
            Rounds: r.Int("fedactors.run.rounds", min: 1),
            Seed: r.Int("fedactors.run.seed"),
            Clients: r.Int(S + "clients", min: 1),
            Model: r.OneOf(S + "model", Models),
            DatasetDirectory: r.String(S + "dataset.directory"),
            TrainLimit: r.Int(S + "dataset.train-limit", min: 0),
            TestLimit: r.Int(S + "dataset.test-limit", min: 0),
            Scheme: r.OneOf(S + "partitioning.scheme", Schemes),
            Alpha: r.Double(S + "partitioning.alpha", min: 0, minExclusive: true),
            ShardsPerClient: r.Int(S + "partitioning.shards-per-client", min: 1),
            LabelsPerClient: r.Int(S + "partitioning.labels-per-client", min: 1, max: 10),
            FractionFit: r.Double("fedactors.server.fraction-fit", min: 0, max: 1, minExclusive: true),
            MinFitClients: r.Int("fedactors.server.min-fit-clients", min: 1),
            MinAvailableClients: r.Int("fedactors.server.min-available-clients", min: 1),
            LocalEpochs: r.Int("fedactors.training.local-epochs", min: 1),
            BatchSize: r.Int("fedactors.training.batch-size", min: 1),
            LearningRate: r.Double("fedactors.training.learning-rate", min: 0, minExclusive: true),
            Parallelism: r.Int("fedactors.training.parallelism", min: 1, max: 1024),
            TorchThreads: r.Int("fedactors.training.torch-threads", min: 1, max: 1024),
            OutputDirectory: r.String(S + "output-directory"));
        ReadTheRest(r);
        return settings.CheckedTogether();
    }

    // Keys the simulation does not use itself but Core reads later: checked now so that a typo
    // fails before the run, not halfway through it.
    private static void ReadTheRest(ConfigReader r)
    {
        r.Duration("fedactors.server.registration-timeout");
        r.Duration("fedactors.server.round-timeout");
        r.Bool("fedactors.server.accept-failures");
        r.Int("fedactors.server.max-round-retries", min: 0);
        r.DoubleOrOff("fedactors.server.max-update-norm");
        r.Bool("fedactors.server.log-verbose");
        r.Double("fedactors.training.momentum", min: 0, max: 0.999999);
        r.Double("fedactors.training.weight-decay", min: 0);
        r.OneOf("fedactors.strategy.name", "fedavg");
    }

    private SimulationSettings CheckedTogether()
    {
        if (MinFitClients > Clients)
        {
            throw Impossible($"'fedactors.server.min-fit-clients' is {MinFitClients}, but only {Clients} clients exist ('fedactors.simulation.clients'): a round can never sample that many");
        }

        if (MinAvailableClients > Clients)
        {
            throw Impossible($"'fedactors.server.min-available-clients' is {MinAvailableClients}, but only {Clients} clients exist ('fedactors.simulation.clients'): the first round would wait for clients that never come");
        }

        if (MinFitClients > MinAvailableClients)
        {
            throw Impossible($"'fedactors.server.min-fit-clients' ({MinFitClients}) must not exceed 'fedactors.server.min-available-clients' ({MinAvailableClients})");
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
