using Akka.Actor;
using Akka.Cluster.Tools.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A client node without FedActors' client code: an actor system configured as a client node,
/// with its own ClusterClient to the server's receptionist and an inbox for the server's answers,
/// so that a test can send the gateway any message a node could; disposing terminates it.
/// </summary>
internal sealed class BareNode : IAsyncDisposable
{
    private readonly IActorRef _clusterClient;

    public BareNode(LocalCluster cluster)
    {
        var (runtime, settings) = cluster.NodeSettings();
        System = ActorSystem.Create(settings.SystemName, NodeConfig.Client(settings, cluster.Server.Address, runtime.Config));
        Inbox = Inbox.Create(System);
        _clusterClient = System.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(System)));
    }

    public ActorSystem System { get; }

    /// <summary>Where the server's answers come when a hello names it as the link.</summary>
    public Inbox Inbox { get; }

    public Address Address => ((ExtendedActorSystem)System).Provider.DefaultAddress;

    /// <summary>Sends <paramref name="message"/> to the gateway, as a node's ServerLink does.</summary>
    public void ToGateway(INodeMessage message) => _clusterClient.Tell(new ClusterClient.Send(NodeConfig.GatewayPath, message));

    public async ValueTask DisposeAsync() => await System.Terminate();
}
