using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Privacy;

namespace FedActors.Core.Strategies;

/// <summary>
/// Creates the strategy that <c>fedactors.strategy.name</c> names, with its settings from the
/// block of the same name (<c>fedactors.strategy.fedprox.mu</c>, ...), each checked with the key
/// in the message. Every name and key is documented in reference.conf. <c>norm-bounding</c>
/// wraps the strategy that <c>fedactors.strategy.norm-bounding.inner</c> names (any other),
/// built from its own block in the same way.
/// </summary>
public static class StrategyCatalog
{
    /// <summary>The strategy names configuration accepts.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        "fedavg",
        "fedprox",
        "scaffold",
        "fednova",
        "feddyn",
        "feddual",
        "fedavgm",
        "fedadagrad",
        "fedadam",
        "fedyogi",
        "fedmedian",
        "trimmed-mean",
        "krum",
        "bulyan",
        "norm-bounding",
    ];

    /// <summary>A new instance of the configured strategy (strategies keep state: one per run).</summary>
    /// <param name="config">The configuration over the embedded defaults.</param>
    /// <exception cref="ConfigurationException">The name is unknown, or one of its settings is out of range; the message names the key.</exception>
    /// <remarks>
    /// With <c>fedactors.privacy.mode = central</c> the named strategy is wrapped in
    /// <see cref="DpFedAvg"/>; a strategy it cannot wrap is refused, with the reason.
    /// </remarks>
    public static IStrategy FromConfig(Config config)
    {
        var named = Named(config);
        if (CentralDpSettings.Read(config) is not { } dp)
        {
            return named;
        }

        return DpFedAvg.WhyNotAround(named) is { } why
            ? throw new ConfigurationException(
                $"configuration key 'fedactors.strategy.name' is '{new ConfigReader(config).String("fedactors.strategy.name")}', which 'fedactors.privacy.mode' = central cannot wrap: {why}")
            : new DpFedAvg(named, dp);
    }

    private static IStrategy Named(Config config)
    {
        var r = new ConfigReader(config);
        return r.OneOf("fedactors.strategy.name", [.. Names]) switch
        {
            "fedavg" => new FedAvg(),
            "fedprox" => new FedProx(r.Double("fedactors.strategy.fedprox.mu", min: 0)),
            "scaffold" => new Scaffold(r.Double("fedactors.strategy.scaffold.server-learning-rate", min: 0, minExclusive: true)),
            "fednova" => new FedNova(),
            "feddyn" => new FedDyn(r.Double("fedactors.strategy.feddyn.alpha", min: 0, minExclusive: true)),
            "feddual" => new FedDual(
                r.Double("fedactors.strategy.feddual.server-learning-rate", min: 0, minExclusive: true),
                r.Double("fedactors.strategy.feddual.l1", min: 0),
                r.Bool("fedactors.strategy.feddual.sample-weighted")),
            "fedavgm" => new FedAvgM(
                serverLearningRate: ServerLearningRate(r, "fedavgm"),
                momentum: Decay(r, "fedavgm", "momentum")),
            "fedadagrad" => new FedAdagrad(
                serverLearningRate: ServerLearningRate(r, "fedadagrad"),
                beta1: Decay(r, "fedadagrad", "beta1"),
                tau: Tau(r, "fedadagrad"),
                weighting: Weighting(r, "fedadagrad")),
            "fedadam" => new FedAdam(
                serverLearningRate: ServerLearningRate(r, "fedadam"),
                beta1: Decay(r, "fedadam", "beta1"),
                beta2: Decay(r, "fedadam", "beta2"),
                tau: Tau(r, "fedadam"),
                biasCorrection: r.Bool("fedactors.strategy.fedadam.bias-correction"),
                weighting: Weighting(r, "fedadam")),
            "fedyogi" => new FedYogi(
                serverLearningRate: ServerLearningRate(r, "fedyogi"),
                beta1: Decay(r, "fedyogi", "beta1"),
                beta2: Decay(r, "fedyogi", "beta2"),
                tau: Tau(r, "fedyogi"),
                weighting: Weighting(r, "fedyogi")),
            "fedmedian" => new FedMedian(),
            "trimmed-mean" => new TrimmedMean(TrimmedMeanBeta(r)),
            "krum" => new Krum(r.Int("fedactors.strategy.krum.f", min: 0), r.Int("fedactors.strategy.krum.m", min: 1)),
            "bulyan" => new Bulyan(r.Int("fedactors.strategy.bulyan.f", min: 0)),
            "norm-bounding" => NormBoundingFromConfig(config, r),
            var other => throw new ConfigurationException($"strategy '{other}' has no factory (a bug: Names lists it)"),
        };
    }

    // The server optimisers' shared keys (FedAvgM, FedAdagrad, FedAdam, FedYogi).
    private static double ServerLearningRate(ConfigReader r, string strategy) =>
        r.Double($"fedactors.strategy.{strategy}.server-learning-rate", min: 0, minExclusive: true);

    private static double Tau(ConfigReader r, string strategy) =>
        r.Double($"fedactors.strategy.{strategy}.tau", min: 0, minExclusive: true);

    // A decay rate (momentum, beta1, beta2) in [0, 1): at 1 the average never forgets.
    private static double Decay(ConfigReader r, string strategy, string key)
    {
        var path = $"fedactors.strategy.{strategy}.{key}";
        var value = r.Double(path, min: 0, max: 1);
        return value < 1
            ? value
            : throw new ConfigurationException($"configuration key '{path}' is '{value.ToString(CultureInfo.InvariantCulture)}', but must be a number in [0, 1)");
    }

    private static ClientWeighting Weighting(ConfigReader r, string strategy) =>
        r.OneOf($"fedactors.strategy.{strategy}.weighting", "uniform", "samples") == "samples" ? ClientWeighting.SampleCount : ClientWeighting.Uniform;
    private static double TrimmedMeanBeta(ConfigReader r)
    {
        const string Key = "fedactors.strategy.trimmed-mean.beta";
        var beta = r.Double(Key);
        return beta is >= 0 and < 0.5
            ? beta
            : throw new ConfigurationException(
                $"configuration key '{Key}' is '{beta.ToString(CultureInfo.InvariantCulture)}', but must be a number in [0, 0.5): trimming floor(beta * n) values from each end must leave one");
    }

    // The inner strategy is whatever the catalog would make of its name, with its own block's settings.
    private static NormBounding NormBoundingFromConfig(Config config, ConfigReader r)
    {
        var inner = r.OneOf("fedactors.strategy.norm-bounding.inner", [.. Names.Where(n => n != "norm-bounding")]);
        var bound = r.Double("fedactors.strategy.norm-bounding.bound", min: 0, minExclusive: true);
        return new NormBounding(Named(ConfigurationFactory.ParseString($"fedactors.strategy.name = \"{inner}\"").WithFallback(config)), bound);
    }
}
