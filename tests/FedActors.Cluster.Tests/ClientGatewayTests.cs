using System.Collections.Immutable;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Server;
using FedActors.Cluster.Tests.Support;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Server;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Cluster.Tests;

/// <summary>The server's gateway between a node's chunks and the coordinator, with probes on both sides.</summary>
[Trait("Category", "Cluster")]
public sealed class ClientGatewayTests : TestKit
{
    private static readonly ClientId First = new("client-0");
    private static readonly ClientId Second = new("client-1");
    private static readonly (Akka.Configuration.Config Config, ClusterSettings Cluster) Node = LocalCluster.ServerNodeConfig();

    public ClientGatewayTests()
        : base(Node.Config)
    {
    }

    [Fact]
    public void AnUpdate_WithACorruptedChunk_DropsThatClientsUpdateNamingTheChunk_AndTheOtherClientsGoesThrough()
    {
        // given a gateway in front of a probe coordinator, a welcomed node with two registered clients,
        // and a fit request of round 1 sent to each client's stand-in
        var coordinator = CreateTestProbe();
        var link = CreateTestProbe();
        var gateway = Sys.ActorOf(ClientGateway.Props(coordinator.Ref, TestParameters.Layout, Node.Cluster));
        gateway.Tell(new NodeHello(ProtocolSerializer.WireVersion, link.Ref, [First, Second], TestParameters.Layout));
        link.ExpectMsg<NodeWelcome>();
        coordinator.ExpectMsg<NodeReachable>();
        var standIns = new Dictionary<ClientId, IActorRef>();
        foreach (var id in new[] { First, Second })
        {
            Send(gateway, id, new RegisterClient(id));
            Assert.Equal(id, coordinator.ExpectMsg<RegisterClientOnNode>().Client);
            standIns[id] = coordinator.LastSender;
            standIns[id].Tell(new FitRequest(new RoundNumber(1), 1, TestParameters.Filled(0), new FitConfig(1, 32, 0.01f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), 7, ImmutableSortedDictionary<string, Parameters>.Empty, TimeSpan.FromMinutes(1)), coordinator.Ref);
        }

        link.ReceiveWhile(TimeSpan.FromSeconds(1), m => m as Chunk);

        // when the first client's update (several chunks) arrives with one byte flipped in its second chunk, and the second's intact
        var chunks = Chunking.Split(Sys, First, Update(First), Node.Cluster.ChunkSize);
        Assert.True(chunks.Count > 2, $"{chunks.Count} chunks");
        var corrupted = chunks[1].Data.ToArray();
        corrupted[3] ^= 1;
        foreach (var chunk in chunks.Select((c, i) => i == 1 ? c with { Data = corrupted } : c))
        {
            gateway.Tell(chunk);
        }

        Send(gateway, Second, Update(Second));

        // then the coordinator hears that the first client failed round 1's fit, naming the chunk, and gets the
        // second's update, each from its client's stand-in (the two stand-ins answer in either order), and nothing more
        var replies = new Dictionary<ClientId, (object Message, IActorRef Sender)>();
        for (var i = 0; i < 2; i++)
        {
            var reply = coordinator.ExpectMsg<IPhaseReply>();
            replies[reply.Client] = (reply, coordinator.LastSender);
        }

        var failed = Assert.IsType<ClientFailed>(replies[First].Message);
        Assert.Equal((1, 1, RoundCoordinator.FitPhase, false), (failed.Round.Value, failed.Attempt, failed.Phase, failed.Cancelled));
        Assert.Contains($"chunk 1 of {chunks.Count} is corrupted", failed.Reason);
        Assert.Equal(standIns[First], replies[First].Sender);
        Assert.IsType<FitResult>(replies[Second].Message);
        Assert.Equal(standIns[Second], replies[Second].Sender);
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    // An update of 1,000 weights: 4 KB, several of the tests' 1 KiB chunks.
    private static FitResult Update(ClientId id) => new(
        id,
        new RoundNumber(1),
        1,
        Parameters.Zeros(new ParameterLayout([new TensorSpec("w", [1000])])),
        10,
        0.5,
        0.5,
        ImmutableSortedDictionary<string, Parameters>.Empty,
        ImmutableSortedDictionary<string, double>.Empty);

    private void Send(IActorRef gateway, ClientId id, IFedActorsMessage message)
    {
        foreach (var chunk in Chunking.Split(Sys, id, message, Node.Cluster.ChunkSize))
        {
            gateway.Tell(chunk);
        }
    }
}
