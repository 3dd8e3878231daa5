using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Server;

/// <summary>The server's round settings, read once from <c>fedactors.run</c>, <c>fedactors.server</c> and <c>fedactors.training</c>.</summary>
/// <param name="Rounds">Training rounds in the run (at least 1).</param>
/// <param name="Seed">Seed for sampling and for the clients' per-round seeds.</param>
/// <param name="MinAvailableClients">Registered clients needed before a round starts.</param>
/// <param name="RegistrationTimeout">How long to wait for them before the run fails.</param>
/// <param name="FractionFit">Share of registered clients sampled each round, in (0, 1].</param>
/// <param name="MinFitClients">Clients sampled at least, and valid updates needed, per round.</param>
/// <param name="FitFirstReplies">Close the fit phase at its first this many valid updates (over-selection); null waits for every sampled client.</param>
/// <param name="RoundTimeout">Deadline of each phase of a round.</param>
/// <param name="AcceptFailures">Whether a round with fewer than MinFitClients (but at least one) valid updates still aggregates.</param>
/// <param name="MaxRoundRetries">How often a failed round is retried before the run stops.</param>
/// <param name="MaxUpdateNorm">Updates whose norm ‖w_k − w_global‖ is larger are rejected; null checks only shapes and finiteness.</param>
/// <param name="FractionEvaluate">Share of registered clients asked for federated evaluation; 0 turns it off.</param>
/// <param name="MinEvaluateClients">Clients asked at least, and results needed, for a federated evaluation.</param>
/// <param name="EvaluateEvery">Federated evaluation runs after every this many rounds (and after the last).</param>
/// <param name="LogVerbose">Log every reply and drop at Info.</param>
/// <param name="Training">The local training settings sent to clients.</param>
public sealed record RoundCoordinatorSettings(
    int Rounds,
    int Seed,
    int MinAvailableClients,
    TimeSpan RegistrationTimeout,
    double FractionFit,
    int MinFitClients,
    int? FitFirstReplies,
    TimeSpan RoundTimeout,
    bool AcceptFailures,
    int MaxRoundRetries,
    double? MaxUpdateNorm,
    double FractionEvaluate,
    int MinEvaluateClients,
    int EvaluateEvery,
    bool LogVerbose,
    FitConfig Training)
{
    /// <summary>
    /// How each attempt's clients are drawn: <see cref="SamplingRule.FixedSize"/>, or, when
    /// <c>fedactors.privacy.mode = central</c>, Poisson sampling at rate fraction-fit (from the OS
    /// CSPRNG, or from the seed when <c>fedactors.privacy.noise = seeded-non-private</c>), where
    /// min-fit-clients no longer applies and an attempt needs one valid update.
    /// </summary>
    public SamplingRule Sampling { get; init; } = SamplingRule.FixedSize;

    /// <summary>Valid updates an attempt needs: min-fit-clients, or 1 under Poisson sampling (a small draw still runs).</summary>
    public int FitUpdatesNeeded => Sampling == SamplingRule.FixedSize ? MinFitClients : 1;

    /// <summary>True when rounds end with a federated evaluation phase.</summary>
    public bool FederatedEvaluation => FractionEvaluate > 0;

    /// <summary>Reads the settings from the actor system's configuration, over Core's embedded defaults.</summary>
    public static RoundCoordinatorSettings Create(ActorSystem system) => Create(FedActorsConfig.WithDefaults(system.Settings.Config));

    /// <summary>Reads and checks the settings; <paramref name="config"/> must fall back on the defaults (<see cref="FedActorsConfig.Load"/>).</summary>
    /// <exception cref="ConfigurationException">A value is missing, ill-typed or out of range; the message names the key.</exception>
    public static RoundCoordinatorSettings Create(Config config)
    {
        var r = new ConfigReader(config);
        var settings = new RoundCoordinatorSettings(
            Rounds: r.Int("fedactors.run.rounds", min: 1),
            Seed: r.Int("fedactors.run.seed"),
            MinAvailableClients: r.Int("fedactors.server.min-available-clients", min: 1),
            RegistrationTimeout: r.Duration("fedactors.server.registration-timeout"),
            FractionFit: r.Double("fedactors.server.fraction-fit", min: 0, max: 1, minExclusive: true),
            MinFitClients: r.Int("fedactors.server.min-fit-clients", min: 1),
            FitFirstReplies: r.IntOrOff("fedactors.server.fit-first-replies", min: 1),
            RoundTimeout: r.Duration("fedactors.server.round-timeout"),
            AcceptFailures: r.Bool("fedactors.server.accept-failures"),
            MaxRoundRetries: r.Int("fedactors.server.max-round-retries", min: 0),
            MaxUpdateNorm: r.DoubleOrOff("fedactors.server.max-update-norm"),
            FractionEvaluate: r.Double("fedactors.server.fraction-evaluate", min: 0, max: 1),
            MinEvaluateClients: r.Int("fedactors.server.min-evaluate-clients", min: 1),
            EvaluateEvery: r.Int("fedactors.server.evaluate-every", min: 1),
            LogVerbose: r.Bool("fedactors.server.log-verbose"),
            Training: ReadTraining(r))
        {
            Sampling = ReadSampling(config),
        };
        if (settings.MinFitClients > settings.MinAvailableClients)
        {
            throw new ConfigurationException(
                $"configuration key 'fedactors.server.min-fit-clients' is {settings.MinFitClients}, but must not exceed " +
                $"'fedactors.server.min-available-clients' ({settings.MinAvailableClients}): a round could never sample enough clients");
        }

        if (settings.FitFirstReplies is { } first && first < settings.MinFitClients)
        {
            throw new ConfigurationException(
                $"configuration key 'fedactors.server.fit-first-replies' is {first}, but a round needs 'fedactors.server.min-fit-clients' " +
                $"({settings.MinFitClients}) updates: closing the fit phase earlier would fail every round");
        }

        if (settings.Sampling != SamplingRule.FixedSize && settings.FitFirstReplies is { } over)
        {
            // Closing at the first k replies makes who is aggregated depend on the others: removing one
            // client lets the (k+1)-th in, so the sum moves by up to 2C, not the C the noise is sized for.
            throw new ConfigurationException(
                $"configuration key 'fedactors.server.fit-first-replies' is {over}, but must be off with 'fedactors.privacy.mode' = central: " +
                "with over-selection, removing one client lets another's update in, which doubles the sensitivity the noise is calibrated to");
        }

        return settings;
    }

    /// <summary>
    /// The feasibility rules that need the number of clients that will ever register (a
    /// simulation knows it): each says which keys make the run impossible.
    /// </summary>
    /// <exception cref="ConfigurationException">No round could ever start or succeed with <paramref name="clients"/> clients.</exception>
    public void CheckFeasibleFor(int clients, string clientsKey)
    {
        if (clients < 1)
        {
            throw new ConfigurationException($"impossible settings: '{clientsKey}' is {clients}: a run needs at least one client");
        }

        if (MinFitClients > clients)
        {
            throw new ConfigurationException(
                $"impossible settings: 'fedactors.server.min-fit-clients' is {MinFitClients}, but only {clients} clients exist ('{clientsKey}'): a round can never sample that many");
        }

        if (MinAvailableClients > clients)
        {
            throw new ConfigurationException(
                $"impossible settings: 'fedactors.server.min-available-clients' is {MinAvailableClients}, but only {clients} clients exist ('{clientsKey}'): the first round would wait for clients that never come");
        }
    }

    private static SamplingRule ReadSampling(Config config) =>
        !Privacy.CentralDpSettings.IsOn(config) ? SamplingRule.FixedSize
        : Privacy.CentralDpSettings.ReadsSecureNoise(config) ? SamplingRule.Poisson
        : SamplingRule.PoissonSeededNonPrivate;

    private static FitConfig ReadTraining(ConfigReader r) => new(
        LocalEpochs: r.Int("fedactors.training.local-epochs", min: 1),
        BatchSize: r.Int("fedactors.training.batch-size", min: 1),
        LearningRate: (float)r.Double("fedactors.training.learning-rate", min: 0, minExclusive: true),
        Momentum: (float)r.Double("fedactors.training.momentum", min: 0, max: 0.999999),
        WeightDecay: (float)r.Double("fedactors.training.weight-decay", min: 0),
        Hyperparameters: NamedTensors.NoHyperparameters);
}
