using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Cluster.Configuration;

/// <summary>The cluster layer's settings (hocon/reference.cluster.conf), read and checked once.</summary>
/// <param name="SystemName">The actor system's name on every node.</param>
/// <param name="ServerHost">The server's listening address.</param>
/// <param name="ServerPort">The server's port; 0 for a free one.</param>
/// <param name="FinishRoundOnStop">What a server asked to stop (SIGTERM, Ctrl-C) does with the round in progress: true to finish it (on-stop = finish-round), false to abandon it.</param>
/// <param name="Seed">The server's address a client node dials; empty on the server.</param>
/// <param name="ClientHost">A client node's listening address.</param>
/// <param name="ClientPort">A client node's port; 0 for a free one.</param>
/// <param name="ConnectTimeout">How long a client node waits for the server's welcome.</param>
/// <param name="HelloRetry">How often a client node repeats its hello until answered.</param>
/// <param name="ServerLostTimeout">How long a welcomed client node waits for a server that went silent (killed, restarting) before it gives up.</param>
/// <param name="ChunkSize">The largest chunk of a protocol message, in bytes.</param>
/// <param name="TransferTimeout">How long a chunked transfer may wait for its next chunk.</param>
/// <param name="HeartbeatInterval">How often client nodes and the server exchange heartbeats.</param>
/// <param name="AcceptableHeartbeatPause">How long heartbeats may stop before the other side counts as unreachable.</param>
/// <param name="Tls">Mutual TLS and node identity (fedactors.cluster.tls), its files loaded.</param>
/// <param name="AuditLogPath">The server's audit log file; empty for none.</param>
public sealed record ClusterSettings(
    string SystemName,
    string ServerHost,
    int ServerPort,
    bool FinishRoundOnStop,
    string Seed,
    string ClientHost,
    int ClientPort,
    TimeSpan ConnectTimeout,
    TimeSpan HelloRetry,
    TimeSpan ServerLostTimeout,
    int ChunkSize,
    TimeSpan TransferTimeout,
    TimeSpan HeartbeatInterval,
    TimeSpan AcceptableHeartbeatPause,
    Security.TlsSettings Tls,
    string AuditLogPath)
{
    private const string C = "fedactors.cluster.";
    private const string FinishRound = "finish-round";
    private static readonly Lazy<Config> DefaultsLazy = new(() => FedActorsConfig.ReadEmbedded(typeof(ClusterSettings).Assembly, "FedActors.Cluster.reference.cluster.conf"));

    /// <summary>Every server node of the federation (<c>server.peers</c>), this one included; empty for a one-node cluster.</summary>
    public System.Collections.Immutable.ImmutableArray<Akka.Actor.Address> Peers { get; init; } = [];

    /// <summary>The other server nodes a client node's ClusterClient also knows (<c>client.seeds</c>), to follow a take-over.</summary>
    public System.Collections.Immutable.ImmutableArray<Akka.Actor.Address> MoreSeeds { get; init; } = [];

    /// <summary>True when the server listens for bulk connections and client nodes dial them (<c>bulk-channel.enabled</c>).</summary>
    public bool BulkEnabled { get; init; } = true;

    /// <summary>The server's bulk port; 0 for a free one (<c>bulk-channel.port</c>).</summary>
    public int BulkPort { get; init; }

    /// <summary>Where a client node keeps its clients' state across restarts (<c>client.state-directory</c>); empty for a temporary folder.</summary>
    public string StateDirectory { get; init; } = string.Empty;

    /// <summary>hocon/reference.cluster.conf, as embedded.</summary>
    public static Config Defaults => DefaultsLazy.Value;

    /// <summary>Reads the settings from <paramref name="config"/> over the embedded defaults.</summary>
    /// <exception cref="ConfigurationException">A value is ill-typed or out of range; the message names the key.</exception>
    public static ClusterSettings Read(Config config)
    {
        var full = config.IsEmpty ? Defaults : config.WithFallback(Defaults);
        var r = new ConfigReader(full);
        var chunk = r.Bytes(C + "chunk-size", min: 1024);
        if (chunk > 120_000)
        {
            throw new ConfigurationException($"'{C}chunk-size' is {chunk} bytes: keep it below Akka.Remote's default frame of 128000 bytes, with room for the chunk's header (at most 120000)");
        }

        var settings = new ClusterSettings(
            SystemName: r.String(C + "system-name"),
            ServerHost: r.String(C + "server.host"),
            ServerPort: r.Int(C + "server.port", min: 0, max: 65535),
            FinishRoundOnStop: r.OneOf(C + "server.on-stop", FinishRound, "abandon-round") == FinishRound,
            // Empty until a client node is given one: checked where it is used (SeedAddress).
            Seed: full.GetString(C + "client.seed", string.Empty) ?? string.Empty,
            ClientHost: r.String(C + "client.host"),
            ClientPort: r.Int(C + "client.port", min: 0, max: 65535),
            ConnectTimeout: r.Duration(C + "client.connect-timeout"),
            HelloRetry: r.Duration(C + "client.hello-retry"),
            ServerLostTimeout: r.Duration(C + "client.server-lost-timeout"),
            ChunkSize: (int)chunk,
            TransferTimeout: r.Duration(C + "transfer-timeout"),
            HeartbeatInterval: r.Duration(C + "heartbeat-interval"),
            AcceptableHeartbeatPause: r.Duration(C + "acceptable-heartbeat-pause"),
            Tls: Security.TlsSettings.Read(full),
            AuditLogPath: full.GetString(C + "audit-log", string.Empty) ?? string.Empty)
        {
            Peers = Addresses(full, C + "server.peers"),
            MoreSeeds = Addresses(full, C + "client.seeds"),
            BulkEnabled = r.Bool(C + "bulk-channel.enabled"),
            BulkPort = r.Int(C + "bulk-channel.port", min: 0, max: 65535),
            StateDirectory = full.GetString(C + "client.state-directory", string.Empty) ?? string.Empty,
        };
        if (!Akka.Actor.ActorPath.IsValidPathElement(settings.SystemName) || settings.SystemName.Contains('@'))
        {
            throw new ConfigurationException($"'{C}system-name' is '{settings.SystemName}', not a valid actor system name (letters, digits, '-' and '_')");
        }

        return settings;
    }

    private static System.Collections.Immutable.ImmutableArray<Akka.Actor.Address> Addresses(Config config, string key)
    {
        IList<string> values;
        try
        {
            values = config.GetStringList(key, []);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ConfigurationException($"'{key}' is not a list of addresses: {e.Message}");
        }

        return [.. values.Select(v => Akka.Actor.Address.TryParse(v, out var a) && a.Protocol.StartsWith("akka.", StringComparison.Ordinal) && a.Host is not null && a.Port is > 0
            ? a
            : throw new ConfigurationException($"'{key}' holds '{v}', not a node address of the form akka.tcp://SYSTEM@HOST:PORT"))];
    }

    /// <summary>The seed address, parsed and checked, for a client node.</summary>
    /// <exception cref="ConfigurationException">The seed is missing or not an akka.tcp address with a host and a port.</exception>
    public Akka.Actor.Address SeedAddress()
    {
        if (string.IsNullOrWhiteSpace(Seed))
        {
            throw new ConfigurationException($"'{C}client.seed' is not set: give the server's address, akka.tcp://{SystemName}@HOST:PORT (fedactors client --seed)");
        }

        if (!Akka.Actor.Address.TryParse(Seed, out var address) || !address.Protocol.StartsWith("akka.", StringComparison.Ordinal) || address.Host is null || address.Port is null or <= 0)
        {
            throw new ConfigurationException($"'{C}client.seed' is '{Seed}', not a server address of the form akka.tcp://{SystemName}@HOST:PORT");
        }

        return address;
    }
}
