using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Privacy;
using FedActors.Core.Server;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Torch;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The settings a simulation needs, read and range-checked once from the merged configuration
/// before anything runs, plus the checks that need several keys at once (settings that cannot
/// work together). The runtime gets <see cref="Runtime"/> as it is: nothing reads the
/// configuration again. Create with <see cref="Read"/>; one run per instance, since the strategy
/// it holds keeps the run's state.
/// </summary>
internal sealed record SimulationSettings(
    RuntimeSettings Runtime,
    IStrategy Strategy,
    int Clients,
    string Model,
    string DatasetDirectory,
    int TrainLimit,
    int TestLimit,
    string Scheme,
    double Alpha,
    int ShardsPerClient,
    int LabelsPerClient,
    double HeldOutShare,
    ByzantineAttack Attack,
    int Parallelism,
    int TorchThreads,
    string OutputDirectory,
    string? CheckpointDirectory)
{
    private const int FashionMnistTrainSize = 60_000;

    /// <summary>The model names <c>fedactors.simulation.model</c> accepts.</summary>
    public static IReadOnlyList<string> Models => ModelKindNames.All;

    /// <summary>The schemes <c>fedactors.simulation.partitioning.scheme</c> accepts.</summary>
    public static IReadOnlyList<string> Schemes => PartitionerFactory.SchemeNames;

    /// <summary>Central DP's settings when <c>fedactors.privacy.mode = central</c>; null otherwise.</summary>
    public CentralDpSettings? CentralDp { get; init; }

    /// <summary>The coordinator's settings.</summary>
    public RoundCoordinatorSettings Server => Runtime.Server;

    /// <summary>Clients sampled each round, by the sampler's own rule (under Poisson sampling, the expected number rounded down).</summary>
    public int SampledPerRound => Server.Sampling == SamplingRule.FixedSize
        ? ClientSampler.SampleSize(Clients, Server.FractionFit, Server.MinFitClients)
        : (int)Math.Floor((Server.FractionFit * Clients) + 1e-9);

    /// <summary>The share of each shard held out for federated evaluation: <see cref="HeldOutShare"/> when it is on, else 0.</summary>
    public double EffectiveHeldOutShare => Server.FederatedEvaluation ? HeldOutShare : 0;

    /// <summary>Reads and checks every setting, Core's included (server, client supervision, strategy).</summary>
    /// <param name="config">The merged configuration over every layer's defaults (<see cref="SimulationDefaults.Load"/>).</param>
    /// <exception cref="ConfigurationException">A value is ill-typed, out of range, or impossible with the others; the message names the keys.</exception>
    public static SimulationSettings Read(Config config)
    {
        var r = new ConfigReader(config);
        const string S = "fedactors.simulation.";
        var settings = new SimulationSettings(
            new RuntimeSettings(config, RoundCoordinatorSettings.Create(config), Core.Client.ClientSupervisorSettings.Create(config)),
            Strategy: StrategyCatalog.FromConfig(config),
            Clients: r.Int(S + "clients", min: 1),
            Model: r.OneOf(S + "model", [.. Models]),
            DatasetDirectory: r.String(S + "dataset.directory"),
            TrainLimit: r.Int(S + "dataset.train-limit", min: 0),
            TestLimit: r.Int(S + "dataset.test-limit", min: 0),
            Scheme: r.OneOf(S + "partitioning.scheme", [.. Schemes]),
            Alpha: r.Double(S + "partitioning.alpha", min: 0, minExclusive: true),
            ShardsPerClient: r.Int(S + "partitioning.shards-per-client", min: 1),
            LabelsPerClient: r.Int(S + "partitioning.labels-per-client", min: 1, max: 10),
            HeldOutShare: r.Double(S + "held-out-share", min: 0, max: 0.999),
            Attack: ReadAttack(r),
            Parallelism: r.Int("fedactors.training.parallelism", min: 1, max: 1024),
            TorchThreads: TorchConfig.TorchThreads(config),
            OutputDirectory: r.String(S + "output-directory"),
            CheckpointDirectory: r.StringOrOff("fedactors.run.checkpoint-directory"))
        {
            CentralDp = CentralDpSettings.Read(config),
        };
        return settings.CheckedTogether();
    }

    private static ByzantineAttack ReadAttack(ConfigReader r)
    {
        const string A = "fedactors.simulation.attack.";
        var kind = r.OneOf(A + "kind", "none", "sign-flip", "scale", "gaussian", "label-flip") switch
        {
            "sign-flip" => AttackKind.SignFlip,
            "scale" => AttackKind.Scale,
            "gaussian" => AttackKind.GaussianNoise,
            "label-flip" => AttackKind.LabelFlip,
            _ => AttackKind.None,
        };
        return new ByzantineAttack(kind, r.Double(A + "fraction", min: 0, max: 0.999), r.Double(A + "scale"), r.Double(A + "noise-std", min: 0, minExclusive: true));
    }

    private SimulationSettings CheckedTogether()
    {
        Server.CheckFeasibleFor(Clients, "fedactors.simulation.clients");
        var trainSize = TrainLimit > 0 ? Math.Min(TrainLimit, FashionMnistTrainSize) : FashionMnistTrainSize;
        if (Clients > trainSize)
        {
            throw Impossible($"'fedactors.simulation.clients' is {Clients}, more than the {trainSize} training samples ('fedactors.simulation.dataset.train-limit'): some clients would hold no data");
        }

        if (Scheme == "shards" && (long)Clients * ShardsPerClient > trainSize)
        {
            throw Impossible($"'fedactors.simulation.partitioning.shards-per-client' ({ShardsPerClient}) times 'fedactors.simulation.clients' ({Clients}) is more shards than the {trainSize} training samples");
        }

        CentralDp?.CheckFeasibleFor(Clients, "fedactors.simulation.clients");
        var aggregated = Math.Min(SampledPerRound, Server.FitFirstReplies ?? int.MaxValue);
        if (aggregated < Strategy.MinimumUpdates)
        {
            throw Impossible(
                $"'fedactors.strategy.name' is {Strategy.Name}, which needs {Strategy.MinimumUpdatesRule}, but a round aggregates at most {aggregated} updates "
                + "('fedactors.server.fraction-fit' of 'fedactors.simulation.clients', at least 'fedactors.server.min-fit-clients', at most 'fedactors.server.fit-first-replies')");
        }

        // Their clients return extras, which local DP's clients refuse to send unnoised: fail before anything runs.
        if (Runtime.Clients.LocalDp is not null && new[] { "scaffold", "feddual" }.FirstOrDefault(n => Strategy.Name == n || Strategy.Name.EndsWith($"({n})", StringComparison.Ordinal)) is { } withExtras)
        {
            throw Impossible($"'fedactors.privacy.mode' is local, but 'fedactors.strategy.name' is {Strategy.Name}, whose clients return {withExtras} tensors besides their parameters, which local DP does not noise: choose a strategy whose clients send parameters only");
        }

        if (CheckpointDirectory is { } checkpoints && IsInside(checkpoints, OutputDirectory))
        {
            throw Impossible($"'fedactors.run.checkpoint-directory' ({checkpoints}) is inside 'fedactors.simulation.output-directory' ({OutputDirectory}), which a successful run replaces: keep checkpoints elsewhere");
        }

        return this;
    }

    private static bool IsInside(string path, string folder)
    {
        var full = Path.GetFullPath(path).TrimEnd('/') + "/";
        var parent = Path.GetFullPath(folder).TrimEnd('/') + "/";
        return full.StartsWith(parent, StringComparison.Ordinal);
    }

    private static ConfigurationException Impossible(string message) => new("impossible settings: " + message);
}
