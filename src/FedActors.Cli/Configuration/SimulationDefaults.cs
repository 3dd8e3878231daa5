using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Torch;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The reference files the CLI's commands read configuration against: the simulation's
/// (hocon/reference.simulation.conf, embedded here), the TorchSharp layer's, the cluster layer's
/// and the runtime's.
/// </summary>
internal static class SimulationDefaults
{
    private static readonly Lazy<Config> OwnLazy = new(() => FedActorsConfig.ReadEmbedded(typeof(SimulationDefaults).Assembly, "FedActors.Cli.reference.simulation.conf"));

    /// <summary>The layers above Core: the simulation's reference file over the TorchSharp layer's and the cluster layer's (server and client nodes run the same run's settings).</summary>
    public static Config AboveCore => OwnLazy.Value.WithFallback(TorchConfig.Defaults).WithFallback(FedActors.Cluster.Configuration.ClusterSettings.Defaults);

    /// <summary>Every key any layer reads: what the unknown-key check runs over.</summary>
    public static Config AllKnown => AboveCore.WithFallback(FedActorsConfig.Defaults);

    /// <summary><paramref name="user"/> over every layer's defaults, as the actor system starts from it.</summary>
    public static Config Load(Config user) => FedActorsConfig.Load(user, AboveCore);
}
