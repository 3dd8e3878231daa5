using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Privacy;

namespace FedActors.Core.Client;

/// <summary>How a process's clients behave, read from <c>fedactors.client</c>.</summary>
/// <param name="MaxRestarts">Restarts allowed per client within <paramref name="RestartWindow"/> before it is stopped.</param>
/// <param name="RestartWindow">The window in which restarts are counted.</param>
/// <param name="RegistrationRetry">How often a client sends its registration again until the coordinator acknowledges it.</param>
/// <param name="StateMemoryBudget">Bytes of kept client state held in memory before the rest spills to disk.</param>
/// <param name="StateSpillDirectory">Where spilled client state goes; null for a temporary folder removed at the end.</param>
/// <param name="LocalDp">Local differential privacy, from this node's <c>fedactors.privacy</c> (mode = local); null when it is off.</param>
public sealed record ClientSupervisorSettings(int MaxRestarts, TimeSpan RestartWindow, TimeSpan RegistrationRetry, long StateMemoryBudget, string? StateSpillDirectory, LocalDpSettings? LocalDp = null)
{
    /// <summary>Reads the settings from the actor system's configuration, over Core's embedded defaults.</summary>
    public static ClientSupervisorSettings Create(ActorSystem system) => Create(FedActorsConfig.WithDefaults(system.Settings.Config));

    /// <summary>Reads and checks the settings; <paramref name="config"/> must fall back on the defaults.</summary>
    /// <exception cref="ConfigurationException">A value is missing, ill-typed or out of range.</exception>
    public static ClientSupervisorSettings Create(Config config)
    {
        var r = new ConfigReader(config);
        return new ClientSupervisorSettings(
            r.Int("fedactors.client.max-restarts", min: 0),
            r.Duration("fedactors.client.restart-window"),
            r.Duration("fedactors.client.registration-retry"),
            r.Bytes("fedactors.client.state.memory-budget"),
            r.StringOrOff("fedactors.client.state.spill-directory"),
            LocalDpSettings.Create(config));
    }
}
