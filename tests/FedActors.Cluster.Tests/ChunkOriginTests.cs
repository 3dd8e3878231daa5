using Akka.Actor;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>A node speaks only for itself: for the clients it was welcomed with, and through its own link.</summary>
[Trait("Category", "Cluster")]
public sealed class ChunkOriginTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AChunkInTheNameOfAnotherNodesClient_IsIgnored_AndThatClientsUpdateCounts()
    {
        // given a node hosting client-0 and client-1, both training round 1 (held until the test lets them finish)
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        var (_, gate) = await cluster.AddTrainingNodeAsync(LocalCluster.Ids(0, 2), Patience);

        // when another node sends a corrupted chunk in client-0's name, then a hello the server refuses
        // (its answer shows that the gateway has read the chunk, which came first on the same path)
        await using (var other = new BareNode(cluster))
        {
            var forged = new Chunk(Guid.NewGuid(), new ClientId("client-0"), "FR", 0, 1, Checksum: 0, new byte[] { 1, 2, 3 });
            other.ToGateway(forged);
            other.ToGateway(new NodeHello(ProtocolSerializer.WireVersion + 1, other.Inbox.Receiver, [new ClientId("client-9")], TestParameters.Layout));
            Assert.IsType<NodeRefused>(await other.Inbox.ReceiveAsync(Patience));
        }

        gate.SetResult();

        // then client-0's update was not dropped: every round completes with both clients' updates
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var first = outcome.History.First(r => r.Round.Value == 1);
        Assert.True(first.Completed, first.Failure);
        Assert.Equal(1, first.Attempt);
        Assert.Empty(first.Dropped);
        Assert.Equal(["client-0", "client-1"], first.Answered.Select(c => c.Value));
    }

    [Fact]
    public async Task ALostRequestReportedInTheNameOfAnotherNodesClient_IsIgnored_AndThatClientsUpdateCounts()
    {
        // given a node hosting client-0 and client-1, both training round 1 (held until the test lets them finish)
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        var (_, gate) = await cluster.AddTrainingNodeAsync(LocalCluster.Ids(0, 2), Patience);

        // when another node reports client-0's request lost (which would drop its update) and
        // acknowledges chunks in its name, then says a hello the server refuses (its answer shows
        // that the gateway has read what came before it on the same path)
        await using (var other = new BareNode(cluster))
        {
            other.ToGateway(new RequestLost(new ClientId("client-0"), Guid.NewGuid(), "forged"));
            other.ToGateway(new ChunksReceived(new ClientId("client-0"), 1000));
            other.ToGateway(new NodeHello(ProtocolSerializer.WireVersion + 1, other.Inbox.Receiver, [new ClientId("client-9")], TestParameters.Layout));
            Assert.IsType<NodeRefused>(await other.Inbox.ReceiveAsync(Patience));
        }

        gate.SetResult();

        // then client-0's update was not dropped: round 1 completes with both clients' updates
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var first = outcome.History.First(r => r.Round.Value == 1);
        Assert.Equal(1, first.Attempt);
        Assert.Empty(first.Dropped);
        Assert.Equal(["client-0", "client-1"], first.Answered.Select(c => c.Value));
    }

    [Fact]
    public async Task AHelloNamingALinkOnAnotherNode_IsRefused()
    {
        // given a server, and a node that can name a link on some other node
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        await using var node = new BareNode(cluster);
        var elsewhere = ((ExtendedActorSystem)node.System).Provider.ResolveActorRef("akka.tcp://fedactors@127.0.0.1:9/user/server-link");

        // when it says hello for client-0 with that link, then for client-0 with its own link
        node.ToGateway(new NodeHello(ProtocolSerializer.WireVersion, elsewhere, [new ClientId("client-0")], TestParameters.Layout));
        node.ToGateway(new NodeHello(ProtocolSerializer.WireVersion, node.Inbox.Receiver, [new ClientId("client-0")], TestParameters.Layout));

        // then the first was refused (client-0 is not held by the other node), and the second welcomed
        Assert.IsType<NodeWelcome>(await node.Inbox.ReceiveAsync(Patience));
    }
}
