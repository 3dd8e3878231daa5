using System.Globalization;
using Akka.Cluster.Tools.Client;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;

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
            }
          }
          cluster {
            roles = [{{ServerRole}}]
            # The server joins itself, or its peers (ServerNode).
            seed-nodes = []
            # Client nodes are never members, so no number of vanished clients can make the
            # split-brain resolver down a server node: it only ever weighs server nodes.
            # Among server nodes (failover), keep-oldest, because the side with the oldest
            # server node is the side that runs the singleton: a crash of a younger node
            # downs only that node, and a network cut never moves the run. keep-majority
            # on two nodes is a tie broken by address, which downs the survivor whenever
            # the crashed node had the lower address. down-if-alone = on is what makes a
            # take-over possible: when the oldest is cut off from every other server node
            # (it crashed, or it is alone on its side of a cut) it is downed and the next
            # oldest takes over; with off, the others would down themselves instead and
            # the run would die with the oldest. On a cut, the oldest downs itself on its
            # own side at the same decision, so the run never has two coordinators. (A
            # lease would need a lease implementation; none is served here.)
            # Both sides decide after split-brain-resolver.stable-after (20 s): a take-over
            # takes the failure detector's time (about 5 s), stable-after, and the
            # removal margin (stable-after again, by default).
            split-brain-resolver {
              active-strategy = keep-oldest
              keep-oldest.role = {{ServerRole}}
              keep-oldest.down-if-alone = on
            }
            singleton {
              singleton-name = {{ActiveServerName}}
              role = {{ServerRole}}
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

    private static Config Compose(Config run, string nodeHocon)
    {
        var node = ConfigurationFactory.ParseString(nodeHocon)
            .WithFallback(Akka.Cluster.Tools.Singleton.ClusterSingleton.DefaultConfig())
            .WithFallback(ClusterSettings.Defaults)
            .WithFallback(ClusterClientReceptionist.DefaultConfig())
            .WithFallback(DistributedPubSub.DefaultConfig());
        return run.IsEmpty ? node : run.WithFallback(node);
    }

    // The seed first, then the other server nodes: the receptionists a ClusterClient may ask.
    private static string Contacts(ClusterSettings s, Akka.Actor.Address seed) =>
        string.Join(", ", s.MoreSeeds.Prepend(seed).Distinct().Select(a => "\"" + a + ReceptionistPath + "\""));

    private static string Ms(TimeSpan t) => $"{(long)t.TotalMilliseconds}ms";
}
