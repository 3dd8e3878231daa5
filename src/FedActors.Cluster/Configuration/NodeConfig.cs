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
    /// <summary>The name of the server's <c>ClientGateway</c>, a child of the server singleton.</summary>
    public const string GatewayName = "fedactors-gateway";

    /// <summary>The server singleton's manager on every server node (ClusterSingletonManager).</summary>
    public const string ServerManagerName = "fedactors-server";

    /// <summary>The server singleton, the manager's child on the oldest server node: the coordinator and the gateway are its children.</summary>
    public const string ActiveServerName = "active";

    /// <summary>The role of the server's nodes.</summary>
    public const string ServerRole = "server";

    /// <summary>
    /// Where a client node's ClusterClient sends its messages: the gateway under the singleton,
    /// the same path on whichever server node runs it, so the receptionist's registration moves
    /// with it.
    /// </summary>
    public const string GatewayPath = "/user/" + ServerManagerName + "/" + ActiveServerName + "/" + GatewayName;

    /// <summary>The receptionist's path, the only one a client node may address by selection.</summary>
    public const string ReceptionistPath = "/system/receptionist";

    /// <summary>A server node: <paramref name="run"/> over the cluster settings' Akka keys.</summary>
    /// <param name="s">The cluster settings.</param>
    /// <param name="run">The run's configuration.</param>
    /// <param name="stopTimeout">How long stopping the run on request may take (finishing the round in progress), before the node shuts down regardless; 30 s when null.</param>
    public static Config Server(ClusterSettings s, Config run, TimeSpan? stopTimeout = null) => Compose(run, string.Create(CultureInfo.InvariantCulture, $$"""
        akka {
          # A stop request (SIGTERM) first stops the run in this phase (ServerNode):
          # finishing the round in progress may take up to its deadlines.
          coordinated-shutdown.phases.before-service-unbind.timeout = {{Ms(stopTimeout ?? TimeSpan.FromSeconds(30))}}
          actor.provider = cluster
          remote {
            # Client nodes are outside the membership. In untrusted mode Akka drops their
            # remote deployments, PoisonPill/Kill-like messages and every actor selection
            # but the receptionist's; InboundGate drops any other message they address
            # to an actor by its path (see InboundGate).
            # Server peers (failover) also select each other's cluster daemon, heartbeat
            # receiver, pub-sub mediator (the receptionists' registry) and singleton
            # manager; InboundGate keeps client nodes' selections to the ClusterClient's own
            # messages whatever the path.
            untrusted-mode = on
            trusted-selection-paths = [{{TrustedSelections(s)}}]
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
            # The server joins itself, or its peers (ServerNode).
            seed-nodes = []
            {{SplitBrainResolver(s)}}
            singleton {
              singleton-name = {{ActiveServerName}}
              role = {{ServerRole}}
              {{SingletonLease(s)}}
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
            # A node started before its server (or while it restarts) dials again after this, not
            # Akka's default 5 s: a node and a server started together otherwise lose 5 s at the start.
            retry-gate-closed-for = {{Ms(s.HeartbeatInterval)}}
            dot-netty.tcp {
              hostname = "{{s.ClientHost}}"
              port = {{s.ClientPort}}
              {{Ssl(s)}}
            }
          }
          cluster.client {
            initial-contacts = [{{Contacts(s, seed)}}]
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
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(ClusterSettings.Defaults)
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());
        return run.IsEmpty ? node : run.WithFallback(node);
    }

    /// <summary>The name of the lease (<see cref="Failover.DatabaseLease"/>) the server nodes' split-brain resolver takes.</summary>
    public const string LeasePath = "fedactors.cluster.lease";

    // Client nodes are never members, so no number of vanished clients can make the split-brain
    // resolver down a server node: it only ever weighs server nodes.
    // One server node: keep-oldest on the server role; it is the oldest, and is never downed.
    // Server peers (failover): lease-majority on the server role, with a lease in the shared
    // checkpoint store (DatabaseLease). keep-majority on two nodes is a tie broken by address,
    // which downs the survivor whenever the node that crashed had the lower address. keep-oldest
    // does not help with two: Akka's KeepOldest keeps the oldest "even though it is alone" when
    // there are only two nodes (down-if-alone applies from three), so when the oldest crashes
    // the survivor downs itself, and the run dies with the oldest. With the lease, the side that
    // gets it goes on and the other downs itself: a crashed node's database session ends at
    // once and frees the lock, so the survivor gets it (after acquire-lease-delay-for-minority
    // if the tie-break made it the minority), and on a network cut between live server nodes
    // only one side can hold it, so the run never has two coordinators; a side that cannot
    // reach the database cannot get it and downs itself, which is right, since it could not
    // checkpoint either. A take-over takes the failure detector's time (about 5 s with Akka's
    // defaults), split-brain-resolver.stable-after (20 s), the minority's delay (2 s), and the
    // singleton's removal margin (stable-after again, unless akka.cluster.down-removal-margin).
    private static string SplitBrainResolver(ClusterSettings s) => s.Peers.Length == 0
        ? $$"""
            split-brain-resolver {
              active-strategy = keep-oldest
              keep-oldest.role = {{ServerRole}}
              keep-oldest.down-if-alone = off
            }
            """
        : $$"""
            split-brain-resolver {
              active-strategy = lease-majority
              lease-majority {
                lease-implementation = "{{LeasePath}}"
                role = {{ServerRole}}
              }
            }
            """;

    // With peers, the singleton also holds a lease (another lock in the store) while it runs: a
    // server node starts the coordinator only once the one before it is gone from the database
    // too, so two coordinators never write the store at once, whatever the membership says.
    private static string SingletonLease(ClusterSettings s) => s.Peers.Length == 0 ? string.Empty : $"use-lease = \"{LeasePath}\"";

    private static string TrustedSelections(ClusterSettings s) =>
        string.Join(", ", (s.Peers.Length == 0 ? [ReceptionistPath] : PeerSelectionPaths).Select(p => "\"" + p + "\""));

    // What Akka.Cluster and Akka.Cluster.Tools address on a peer by selection.
    private static readonly string[] PeerSelectionPaths =
    [
        ReceptionistPath,
        "/system/cluster/core/daemon",
        "/system/cluster/heartbeatReceiver",
        "/system/distributedPubSubMediator",
        "/user/" + ServerManagerName,
    ];

    // The seed first, then the other server nodes: the receptionists a ClusterClient may ask.
    private static string Contacts(ClusterSettings s, Akka.Actor.Address seed) =>
        string.Join(", ", s.MoreSeeds.Prepend(seed).Distinct().Select(a => "\"" + a + ReceptionistPath + "\""));

    private static string Ms(TimeSpan t) => $"{(long)t.TotalMilliseconds}ms";
}
