using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Torch;

/// <summary>The TorchSharp layer's configuration: its embedded reference file (hocon/reference.torch.conf) and the keys it reads.</summary>
public static class TorchConfig
{
    private static readonly Lazy<Config> DefaultsLazy = new(() => FedActorsConfig.ReadEmbedded(typeof(TorchConfig).Assembly, "FedActors.Torch.reference.torch.conf"));

    /// <summary>reference.torch.conf, exactly as shipped.</summary>
    public static Config Defaults => DefaultsLazy.Value;

    /// <summary>libtorch intra-op threads per training client, <c>fedactors.training.torch-threads</c>.</summary>
    /// <exception cref="ConfigurationException">The value is not a whole number in [1, 1024].</exception>
    public static int TorchThreads(Config config) =>
        new ConfigReader(config.WithFallback(Defaults)).Int("fedactors.training.torch-threads", min: 1, max: 1024);
}
