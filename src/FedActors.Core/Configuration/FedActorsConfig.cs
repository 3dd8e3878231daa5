using System.Globalization;
using Akka.Configuration;

namespace FedActors.Core.Configuration;

/// <summary>
/// The embedded defaults (hocon/reference.conf) and the one way to layer a user's configuration
/// over them. Actor systems that run FedActors must be created from <see cref="Load"/>, because
/// the protocol serializer's binding has to be in the configuration the system starts with.
/// </summary>
public static class FedActorsConfig
{
    private const string ResourceName = "FedActors.Core.reference.conf";
    private static readonly Lazy<Config> DefaultsLazy = new(ReadEmbeddedDefaults);

    /// <summary>reference.conf, exactly as shipped.</summary>
    public static Config Defaults => DefaultsLazy.Value;

    /// <summary>The text of reference.conf, for tools that show or check it.</summary>
    public static string DefaultsText
    {
        get
        {
            using var stream = typeof(FedActorsConfig).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from FedActors.Core");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>
    /// <paramref name="overrides"/> over <paramref name="layerDefaults"/> (the reference files of
    /// the layers above Core, already merged) over Core's defaults, with the training dispatcher
    /// sized from <c>fedactors.training.parallelism</c>.
    /// </summary>
    /// <exception cref="ConfigurationException">The parallelism is not a whole number of at least 1.</exception>
    public static Config Load(Config? overrides = null, Config? layerDefaults = null)
    {
        var defaults = layerDefaults is null || layerDefaults.IsEmpty ? Defaults : layerDefaults.WithFallback(Defaults);
        var merged = overrides is null || overrides.IsEmpty ? defaults : overrides.WithFallback(defaults);
        var parallelism = new ConfigReader(merged).Int("fedactors.training.parallelism", min: 1, max: 1024);
        var sized = ConfigurationFactory.ParseString(string.Create(
            CultureInfo.InvariantCulture,
            $"fedactors.training-dispatcher.dedicated-thread-pool.thread-count = {parallelism}"));
        return sized.WithFallback(merged);
    }

    /// <summary>
    /// <paramref name="config"/> over the embedded defaults, for settings read from an actor
    /// system that a host app built without <see cref="Load"/>: Akka.Cluster.Tools does the same
    /// with its own reference file.
    /// </summary>
    public static Config WithDefaults(Config config) => config.IsEmpty ? Defaults : config.WithFallback(Defaults);

    /// <summary>Reads a reference file that <paramref name="assembly"/> embeds as <paramref name="resourceName"/>: how each layer ships its own defaults.</summary>
    /// <exception cref="InvalidOperationException">The resource is missing (a build error).</exception>
    public static Config ReadEmbedded(System.Reflection.Assembly assembly, string resourceName)
    {
        using var stream = assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"embedded resource {resourceName} is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private static Config ReadEmbeddedDefaults() => ConfigurationFactory.ParseString(DefaultsText);
}
