using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Configuration;

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
    public static readonly IReadOnlyList<string> Names = ["fedavg", "fedmedian", "trimmed-mean", "krum", "bulyan", "norm-bounding"];

    /// <summary>A new instance of the configured strategy (strategies keep state: one per run).</summary>
    /// <param name="config">The configuration over the embedded defaults.</param>
    /// <exception cref="ConfigurationException">The name is unknown, or one of its settings is out of range; the message names the key.</exception>
    public static IStrategy FromConfig(Config config)
    {
        var r = new ConfigReader(config);
        return r.OneOf("fedactors.strategy.name", [.. Names]) switch
        {
            "fedavg" => new FedAvg(),
            "fedmedian" => new FedMedian(),
            "trimmed-mean" => new TrimmedMean(TrimmedMeanBeta(r)),
            "krum" => new Krum(r.Int("fedactors.strategy.krum.f", min: 0), r.Int("fedactors.strategy.krum.m", min: 1)),
            "bulyan" => new Bulyan(r.Int("fedactors.strategy.bulyan.f", min: 0)),
            "norm-bounding" => NormBoundingFromConfig(config, r),
            var other => throw new ConfigurationException($"strategy '{other}' has no factory (a bug: Names lists it)"),
        };
    }

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
        return new NormBounding(FromConfig(ConfigurationFactory.ParseString($"fedactors.strategy.name = \"{inner}\"").WithFallback(config)), bound);
    }
}
