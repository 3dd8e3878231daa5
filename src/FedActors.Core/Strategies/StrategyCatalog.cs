using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Strategies;

/// <summary>
/// Creates the strategy that <c>fedactors.strategy.name</c> names, with its settings from the
/// block of the same name (<c>fedactors.strategy.fedprox.mu</c>, ...), each checked with the key
/// in the message. Every name and key is documented in reference.conf.
/// </summary>
public static class StrategyCatalog
{
    /// <summary>The strategy names configuration accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["fedavg", "fedprox", "scaffold", "fednova", "feddyn", "feddual"];

    /// <summary>A new instance of the configured strategy (strategies keep state: one per run).</summary>
    /// <param name="config">The configuration over the embedded defaults.</param>
    /// <exception cref="ConfigurationException">The name is unknown, or one of its settings is out of range; the message names the key.</exception>
    public static IStrategy FromConfig(Config config)
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
            var other => throw new ConfigurationException($"strategy '{other}' has no factory (a bug: Names lists it)"),
        };
    }
}
