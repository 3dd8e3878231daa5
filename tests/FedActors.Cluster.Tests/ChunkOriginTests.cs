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

    [Theory]
    [InlineData("a corrupted chunk")]
    [InlineData("a lost request and a chunk acknowledgement")]
    public async Task AMessageInTheNameOfAnotherNodesClient_IsIgnored_AndThatClientsUpdateCounts(string forgery)
    {
        // given a node hosting client-0 and client-1, both training round 1 (held until the test lets them finish)
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        var (_, gate) = await cluster.AddTrainingNodeAsync(LocalCluster.Ids(0, 2), Patience);

        // when another node sends, in client-0's name, a corrupted chunk (which would break its
        // update) or a lost request (which would drop it) and an acknowledgement, then a hello the
        // server refuses (its answer shows that the gateway has read what came before it on the same path)
        await using (var other = new BareNode(cluster))
        {
            var client = new ClientId("client-0");
            INodeMessage[] forged = forgery == "a corrupted chunk"
                ? [new Chunk(Guid.NewGuid(), client, "FR", 0, 1, Checksum: 0, new byte[] { 1, 2, 3 })]
                : [new RequestLost(client, Guid.NewGuid(), "forged"), new ChunksReceived(client, 1000)];
            foreach (var message in forged)
            {
                other.ToGateway(message);
            }

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
