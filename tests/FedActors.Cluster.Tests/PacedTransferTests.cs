using Akka.Actor;
using Akka.TestKit.Xunit2;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Server;
using FedActors.Cluster.Tests.Support;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>
/// Both ends keep a bounded number of chunks in flight on a node's connection, acknowledged a
/// quarter window at a time, so that a large model never queues far ahead of heartbeats.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class PacedTransferTests : TestKit
{
    private const int ChunkSize = 4096;
    private static readonly (Akka.Configuration.Config Config, ClusterSettings Cluster) Node = LocalCluster.ServerNodeConfig();

    public PacedTransferTests()
        : base(Node.Config)
    {
    }

    [Fact]
    public void TheOutbox_KeepsAtMostItsWindowInFlight_AndSendsMoreAsTheNodeAcknowledges()
    {
        // given an outbox and a request whose model is 100 chunks
        var link = CreateTestProbe();
        var outbox = Sys.ActorOf(NodeOutbox.Props(link.Ref, ChunkSize, new SharedModels(ChunkSize), TimeSpan.FromMinutes(1)));
        outbox.Tell(new OutboundRequest(new ClientId("client-0"), ModelOncePerNodeTests.Fit(ModelOncePerNodeTests.Model(100 * ChunkSize / 4, 1f), seed: 1)));

        // when the node has acknowledged nothing, then only the window is sent
        for (var i = 0; i < NodeOutbox.Window; i++)
        {
            Assert.Equal(i, link.ExpectMsg<ModelChunk>().Index);
        }

        link.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // when the node acknowledges 8, then 8 more come, and no more
        outbox.Tell(new ChunksReceived(new ClientId("client-0"), 8));
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(NodeOutbox.Window + i, link.ExpectMsg<ModelChunk>().Index);
        }

        link.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // when the node's connection drops and comes back, then what was in flight counts as gone and the window opens again
        outbox.Tell(NodeConnectionChanged.Instance);
        Assert.Equal(NodeOutbox.Window + 8, link.ExpectMsg<ModelChunk>().Index);
    }

    [Fact]
    public void AFullWindow_WhoseAcknowledgementsWereLost_OpensAgainAfterTheStallTimeout()
    {
        // given an outbox whose full window may wait 300 ms, and a request whose model is 100 chunks
        var link = CreateTestProbe();
        var outbox = Sys.ActorOf(NodeOutbox.Props(link.Ref, ChunkSize, new SharedModels(ChunkSize), TimeSpan.FromMilliseconds(300)));
        outbox.Tell(new OutboundRequest(new ClientId("client-0"), ModelOncePerNodeTests.Fit(ModelOncePerNodeTests.Model(100 * ChunkSize / 4, 1f), seed: 1)));
        link.ReceiveN(NodeOutbox.Window, TimeSpan.FromSeconds(5));

        // when no acknowledgement ever comes, then the next window follows once the stall timeout has passed
        link.ExpectNoMsg(TimeSpan.FromMilliseconds(250));
        Assert.Equal(NodeOutbox.Window, link.ExpectMsg<ModelChunk>(TimeSpan.FromSeconds(5)).Index);
    }

    [Fact]
    public void TheGateway_AcknowledgesANodesChunks_AQuarterWindowAtATime()
    {
        // given a gateway and a welcomed node of one client
        var coordinator = CreateTestProbe();
        var link = CreateTestProbe();
        var gateway = Sys.ActorOf(ClientGateway.Props(coordinator.Ref, TestParameters.Layout, Node.Cluster));
        var id = new ClientId("client-0");
        gateway.Tell(new NodeHello(ProtocolSerializer.WireVersion, link.Ref, [id], TestParameters.Layout));
        link.ExpectMsg<NodeWelcome>();

        // when the node sends one chunk short of a quarter window, then nothing is acknowledged
        for (var i = 0; i < (NodeOutbox.Window / 4) - 1; i++)
        {
            gateway.Tell(Chunking.Split(Sys, id, new RegisterClient(id), ChunkSize).Single());
        }

        link.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // when it sends one more, then the link hears that a quarter window arrived
        gateway.Tell(Chunking.Split(Sys, id, new RegisterClient(id), ChunkSize).Single());
        Assert.Equal(NodeOutbox.Window / 4, link.ExpectMsg<ChunksReceived>().Count);
    }
}
