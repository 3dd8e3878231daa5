using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Strategies;

/// <summary>Creates the strategy that <c>fedactors.strategy</c> names.</summary>
public static class StrategyCatalog
{
    /// <summary>The strategy names configuration accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["fedavg"];

    /// <summary>The configured strategy.</summary>
    /// <exception cref="ConfigurationException">The name is not one of <see cref="Names"/>.</exception>
    public static IStrategy FromConfig(Config config)
    {
        // Only FedAvg so far; the reader still rejects any other name with the list of valid ones.
        _ = new ConfigReader(config).OneOf("fedactors.strategy.name", [.. Names]);
        return new FedAvg();
    }
}
