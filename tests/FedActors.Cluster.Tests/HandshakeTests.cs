using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>What the server refuses at a node's hello, each time with a message that says what to fix.</summary>
[Trait("Category", "Cluster")]
public sealed class HandshakeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ANodeOfAnotherWireVersion_IsRefusedNamingBothVersionsAndTheNode()
    {
        // given a server, and a node that says hello in wire version 9 through its own ClusterClient
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        await using var old = new BareNode(cluster);

        // when it says hello
        old.ToGateway(new NodeHello(9, old.Inbox.Receiver, [new ClientId("client-0")], TestParameters.Layout));

        // then the server refuses it, naming the node and both versions
        var refused = Assert.IsType<NodeRefused>(await old.Inbox.ReceiveAsync(Patience));
        Assert.Contains($"node {old.Address}", refused.Reason);
        Assert.Contains("wire version 9", refused.Reason);
        Assert.Contains($"speaks version {ProtocolSerializer.WireVersion}", refused.Reason);
    }

    [Fact]
    public async Task ASecondNodeClaimingALiveNodesClientId_IsRefusedNamingTheIdAndItsHolder()
    {
        // given a node holding client-0 and client-1, welcomed: its clients are training (held until the test lets them finish)
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        var (first, gate) = await cluster.AddTrainingNodeAsync(LocalCluster.Ids(0, 2), Patience);

        // when a second node claims client-1 and client-2
        var second = cluster.AddNode(LocalCluster.Ids(1, 2));
        var refused = await second.Outcome.WaitAsync(Patience);
        gate.SetResult();

        // then the second is refused, naming the id and the node holding it, and the run goes on with the first
        Assert.False(refused.Succeeded);
        Assert.Contains($"client-1 (held by {first.Address})", refused.Detail);
        Assert.DoesNotContain("client-2 (held", refused.Detail);
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
    }

    [Fact]
    public async Task ANodeWhoseModelDiffers_IsRefusedNamingTheDifference()
    {
        // given a server of the tests' two-tensor model
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
        var other = new ParameterLayout([new TensorSpec("w", ImmutableArray.Create(3, 2)), new TensorSpec("b", ImmutableArray.Create(2))]);

        // when a node whose trainers expect a 3x2 'w' says hello
        var node = cluster.AddNode(LocalCluster.Ids(0, 2), layout: other);
        var refused = await node.Outcome.WaitAsync(Patience);

        // then it is refused, naming the node and the tensor that differs
        Assert.False(refused.Succeeded);
        Assert.Contains($"node {node.Address}'s model does not fit the server's", refused.Detail);
        Assert.Contains("w[3x2]", refused.Detail);
    }

    [Fact]
    public async Task ASeedNobodyListensOn_FailsTheNodeNamingTheSeedAndTheKey()
    {
        // given a free port on loopback that nothing listens on
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var seed = $"akka.tcp://fedactors@127.0.0.1:{port}";
        var (runtime, settings) = LocalCluster.Settings($"fedactors.cluster.client.seed = \"{seed}\"\nfedactors.cluster.client.connect-timeout = 2s");

        // when a node dials it
        await using var node = Client.ClientNode.Start(runtime, settings, LocalCluster.Ids(0, 1), LocalCluster.Trainer, TestParameters.Layout);
        var outcome = await node.Outcome.WaitAsync(Patience);

        // then the node gives up after its connect timeout, naming the seed and the key
        Assert.False(outcome.Succeeded);
        Assert.Contains(seed, outcome.Detail);
        Assert.Contains("fedactors.cluster.client.connect-timeout", outcome.Detail);
    }
}
