using System.Globalization;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;
using FedActors.Cluster.Security;

namespace FedActors.Cluster.Configuration;

/// <summary>
/// The Akka configuration of a server node and of a client node, derived from the cluster layer's
/// keys. The run's own configuration goes on top, so an explicit akka.* key there still wins.
/// </summary>
public static class NodeConfig
{
    /// <summary>The path the server's <c>ClientGateway</c> is registered at with the receptionist.</summary>
    public const string GatewayName = "fedactors-gateway";

    /// <summary>The role of the server's nodes.</summary>
    public const string ServerRole = "server";

    /// <summary>Where a client node's ClusterClient sends its messages.</summary>
    public const string GatewayPath = "/user/" + GatewayName;

    /// <summary>The receptionist's path, the only one a client node may address by selection.</summary>
    public const string ReceptionistPath = "/system/receptionist";

    /// <summary>A server node: <paramref name="run"/> over the cluster settings' Akka keys.</summary>
    public static Config Server(ClusterSettings s, Config run) => Compose(run, string.Create(CultureInfo.InvariantCulture, $$"""
        akka {
          actor.provider = cluster
          remote {
            # Client nodes are outside the membership. In untrusted mode Akka drops their
            # remote deployments, PoisonPill/Kill-like messages and every actor selection
            # but the receptionist's; InboundGate drops any other message they address
            # to an actor by its path (see InboundGate).
            untrusted-mode = on
            trusted-selection-paths = ["{{ReceptionistPath}}"]
            adapters.fedactors-gate = "FedActors.Cluster.Security.InboundGateProvider,FedActors.Cluster" # no space: Akka reads this value with its quotes otherwise
            dot-netty.tcp {
              hostname = "{{s.ServerHost}}"
              port = {{s.ServerPort}}
              # A run that adds adapters (the throttler, in tests) must keep this one.
              applied-adapters = [fedactors-gate]
              {{Ssl(s)}}
            }
          }
          cluster {
            roles = [{{ServerRole}}]
            # The server joins itself (ServerNode): a one-node cluster.
            seed-nodes = []
            # Client nodes are never members, so no number of vanished clients can make
            # the split-brain resolver down the server: it only ever weighs server nodes.
            split-brain-resolver {
              active-strategy = keep-oldest
              keep-oldest.role = {{ServerRole}}
              keep-oldest.down-if-alone = off
            }
            client.receptionist {
              role = {{ServerRole}}
              heartbeat-interval = {{Ms(s.HeartbeatInterval)}}
              acceptable-heartbeat-pause = {{Ms(s.AcceptableHeartbeatPause)}}
              failure-detection-interval = {{Ms(s.HeartbeatInterval)}}
            }
          }
        }
        """));

    /// <summary>A client node that dials <paramref name="seed"/>: <paramref name="run"/> over the cluster settings' Akka keys.</summary>
    public static Config Client(ClusterSettings s, Akka.Actor.Address seed, Config run) => Compose(run, string.Create(CultureInfo.InvariantCulture, $$"""
        akka {
          # Remoting only: a client node is not a cluster member.
          actor.provider = remote
          remote {
            # The server may only send to this node's actors; it cannot deploy here or select.
            untrusted-mode = on
            dot-netty.tcp {
              hostname = "{{s.ClientHost}}"
              port = {{s.ClientPort}}
              {{Ssl(s)}}
            }
          }
          cluster.client {
            initial-contacts = ["{{seed}}{{ReceptionistPath}}"]
            heartbeat-interval = {{Ms(s.HeartbeatInterval)}}
            acceptable-heartbeat-pause = {{Ms(s.AcceptableHeartbeatPause)}}
            establishing-get-contacts-interval = {{Ms(s.HeartbeatInterval)}}
            # ServerLink has its own, clearer, timeout for the first contact; after it, a node
            # keeps trying to get back to a server that went away (a restart, a network cut).
            reconnect-timeout = off
            # Our chunks through Akka's protobuf serializer for ClusterClient messages, never JSON.
            use-legacy-serialization = off
          }
        }
        """));

    /// <summary>
    /// The actor system's setup: <paramref name="config"/>, and with TLS on, Akka.Remote's
    /// <see cref="DotNettySslSetup"/> with this node's certificate, mutual authentication required
    /// (a peer without a certificate is refused in the handshake) and <paramref name="trust"/>
    /// deciding every peer certificate, in place of Akka's check against the system's store.
    /// </summary>
    /// <param name="s">The cluster settings, with TLS's.</param>
    /// <param name="config">The node's whole configuration.</param>
    /// <param name="trust">The federation's trust; required with TLS on.</param>
    /// <param name="checkServerName">True on client nodes: the server's certificate must name the host dialled.</param>
    public static ActorSystemSetup Setup(ClusterSettings s, Config config, FederationTrust? trust, bool checkServerName)
    {
        var setup = BootstrapSetup.Create().WithConfig(config);
        if (!s.Tls.Enabled)
        {
            return ActorSystemSetup.Create(setup);
        }

        ArgumentNullException.ThrowIfNull(trust);
        return setup.And(new DotNettySslSetup(s.Tls.Certificate!, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, trust.TlsValidator(checkServerName)));
    }

    // Akka names TLS addresses akka.ssl.tcp://; the certificate and the validator come from Setup.
    private static string Ssl(ClusterSettings s) => s.Tls.Enabled ? "enable-ssl = on" : string.Empty;

    private static Config Compose(Config run, string nodeHocon)
    {
        var node = ConfigurationFactory.ParseString(nodeHocon)
            .WithFallback(ClusterSettings.Defaults)
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());
        return run.IsEmpty ? node : run.WithFallback(node);
    }

    private static string Ms(TimeSpan t) => $"{(long)t.TotalMilliseconds}ms";
}
