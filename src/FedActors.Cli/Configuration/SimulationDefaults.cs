using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Torch;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The reference files the simulate command reads configuration against: its own
/// (hocon/reference.simulation.conf, embedded here), the TorchSharp layer's and the runtime's.
/// </summary>
internal static class SimulationDefaults
{
    private static readonly Lazy<Config> OwnLazy = new(() => FedActorsConfig.ReadEmbedded(typeof(SimulationDefaults).Assembly, "FedActors.Cli.reference.simulation.conf"));

    /// <summary>The layers above Core: the simulation's reference file over the TorchSharp layer's.</summary>
    public static Config AboveCore => OwnLazy.Value.WithFallback(TorchConfig.Defaults);

    /// <summary>Every key any layer reads: what the unknown-key check runs over.</summary>
    public static Config AllKnown => AboveCore.WithFallback(FedActorsConfig.Defaults);

    /// <summary><paramref name="user"/> over every layer's defaults, as the actor system starts from it.</summary>
    public static Config Load(Config user) => FedActorsConfig.Load(user, AboveCore);
}
