using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Server;

namespace FedActors.Core.Configuration;

/// <summary>Core's settings, read and checked once, with the configuration an actor system starts from.</summary>
/// <param name="Config">The whole configuration over the embedded defaults (<see cref="FedActorsConfig.Load"/>).</param>
/// <param name="Server">The coordinator's settings.</param>
/// <param name="Clients">The clients' settings.</param>
public sealed record RuntimeSettings(Config Config, RoundCoordinatorSettings Server, ClientSupervisorSettings Clients)
{
    /// <summary>Reads and checks Core's settings from <paramref name="user"/> over the embedded defaults.</summary>
    /// <exception cref="ConfigurationException">A value is missing, ill-typed or out of range; the message names the key.</exception>
    public static RuntimeSettings Read(Config user)
    {
        var full = FedActorsConfig.Load(user);
        return new RuntimeSettings(full, RoundCoordinatorSettings.Create(full), ClientSupervisorSettings.Create(full));
    }
}
