using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Client;

/// <summary>How the <see cref="ClientSupervisor"/> treats failing clients, read from <c>fedactors.client</c>.</summary>
/// <param name="MaxRestarts">Restarts allowed per client within <paramref name="RestartWindow"/> before it is stopped.</param>
/// <param name="RestartWindow">The window in which restarts are counted.</param>
public sealed record ClientSupervisorSettings(int MaxRestarts, TimeSpan RestartWindow)
{
    /// <summary>Reads the settings from the actor system's configuration.</summary>
    public static ClientSupervisorSettings Create(ActorSystem system) => Create(system.Settings.Config);

    /// <summary>Reads and checks the settings; <paramref name="config"/> must fall back on the defaults.</summary>
    /// <exception cref="ConfigurationException">A value is missing, ill-typed or out of range.</exception>
    public static ClientSupervisorSettings Create(Config config)
    {
        var r = new ConfigReader(config);
        return new ClientSupervisorSettings(
            r.Int("fedactors.client.max-restarts", min: 0),
            r.Duration("fedactors.client.restart-window"));
    }
}
