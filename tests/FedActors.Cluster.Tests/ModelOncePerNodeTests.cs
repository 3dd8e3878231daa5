using System.Collections.Immutable;
using Akka.Actor;
using Akka.Serialization;
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

/// <summary>
/// A round's global model goes to a client node once, however many clients it hosts: the server's
/// outbox for the node and the node's model cache, with a probe for the node's connection.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ModelOncePerNodeTests : TestKit
{
    private const int ChunkSize = 4096;
    private static readonly (Akka.Configuration.Config Config, ClusterSettings Cluster) Node = LocalCluster.ServerNodeConfig();

    public ModelOncePerNodeTests()
        : base(Node.Config)
    {
    }

    [Fact]
    public void ARoundsRequests_ToANodeOfFourClients_CarryTheModelOnce_AndEachClientGetsItsOwnRequest()
    {
        // given a node's outbox and one round's fit requests to four of its clients: one model of
        // 20,000 weights (80 KB, 20 chunks of 4 KiB), each request with its own seed
        var link = CreateTestProbe();
        var outbox = Sys.ActorOf(NodeOutbox.Props(link.Ref, ChunkSize, new SharedModels(ChunkSize), TimeSpan.FromMinutes(1)));
        var global = Model(20_000, 0.25f);
        var requests = Enumerable.Range(0, 4).Select(i => (Client: new ClientId($"client-{i}"), Request: Fit(global, seed: 100 + i))).ToList();

        // when the outbox sends them, the node acknowledging as it goes
        foreach (var (client, request) in requests)
        {
            outbox.Tell(new OutboundRequest(client, request));
        }

        var received = ReceiveAll(link, outbox, expected: 20 + 4);

        // then the node received the model's pieces once and one small request per client: the bytes
        // of one model, where sending each client its request whole takes four
        var pieces = received.OfType<ModelChunk>().ToList();
        var shared = received.OfType<SharedRequest>().ToList();
        Assert.Equal(20, pieces.Count);
        Assert.Single(pieces.Select(p => p.Model).Distinct());
        Assert.Equal(requests.Select(r => r.Client), shared.Select(r => r.Client));
        var modelBytes = ProtocolSerializer.EncodeParameters(global).Length;
        var sentBytes = pieces.Sum(p => p.Data.Length) + shared.Sum(r => r.Before.Length + r.After.Length);
        var wholeBytes = requests.Sum(r => Serializer(r.Request).ToBinary(r.Request).Length);
        Assert.Equal(modelBytes, pieces.Sum(p => p.Data.Length));
        Assert.True(sentBytes < modelBytes * 1.01, $"{sentBytes} bytes sent for a model of {modelBytes}");
        Assert.True(wholeBytes > 4 * modelBytes, $"{wholeBytes} bytes for the four requests whole");

        // and on the node each request is rebuilt to exactly the serializer's bytes of it
        var cache = new ModelCache();
        var built = received.SelectMany(m => m switch
        {
            ModelChunk c => cache.Add(c, DateTime.UtcNow),
            SharedRequest r => cache.Request(r),
            _ => throw new InvalidOperationException($"unexpected {m}"),
        }).ToList();
        Assert.Equal(4, built.Count);
        for (var i = 0; i < 4; i++)
        {
            Assert.Null(built[i].Failure);
            Assert.Equal(Serializer(requests[i].Request).ToBinary(requests[i].Request), built[i].Payload());
        }
    }

    [Fact]
    public void ARequest_ThatComesBeforeItsModelsLastChunk_WaitsAndIsBuiltWhenItComes()
    {
        // given a model's chunks and a request naming it, the request arriving before the last chunk
        var (chunks, shared, request) = OneRequest(Model(5_000, 2f));
        var cache = new ModelCache();
        Assert.All(chunks.SkipLast(1), c => Assert.Empty(cache.Add(c, DateTime.UtcNow)));

        // when the request comes, then it waits
        Assert.Empty(cache.Request(shared));
        Assert.Equal(1, cache.Waiting);

        // when the last chunk comes, then the request is built, the serializer's bytes exactly
        var built = Assert.Single(cache.Add(chunks[^1], DateTime.UtcNow));
        Assert.Equal(Serializer(request).ToBinary(request), built.Payload());
        Assert.Equal(0, cache.Waiting);
    }

    [Fact]
    public void AModelChunkCorruptedOnTheWay_FailsEveryRequestThatNamesIt_NamingTheChunk_AndOtherModelsGoOn()
    {
        // given a model whose chunk 2 had a byte flipped on the way, and a request waiting for it
        var (chunks, shared, _) = OneRequest(Model(5_000, 2f));
        var cache = new ModelCache();
        cache.Add(chunks[0], DateTime.UtcNow);
        cache.Add(chunks[1], DateTime.UtcNow);
        Assert.Empty(cache.Request(shared with { Client = new ClientId("client-0") }));
        var corrupted = chunks[2].Data.ToArray();
        corrupted[7] ^= 1;

        // when the corrupted chunk comes, and the rest, and then another client's request for that model
        var failed = cache.Add(chunks[2] with { Data = corrupted }, DateTime.UtcNow).ToList();
        failed.AddRange(chunks.Skip(3).SelectMany(c => cache.Add(c, DateTime.UtcNow)));
        failed.AddRange(cache.Request(shared with { Client = new ClientId("client-1") }));

        // then both requests failed naming the model and the chunk, and nothing was built
        Assert.Equal(["client-0", "client-1"], failed.Select(f => f.Request.Client.Value));
        Assert.All(failed, f => Assert.Null(f.Model));
        Assert.All(failed, f => Assert.Contains($"model {shared.Model}: chunk 2 of {chunks.Count} is corrupted", f.Failure));

        // and a model that follows is kept and serves its requests
        var (next, nextRequest, request) = OneRequest(Model(5_000, 3f));
        Assert.All(next, c => Assert.Empty(cache.Add(c, DateTime.UtcNow)));
        Assert.Equal(Serializer(request).ToBinary(request), Assert.Single(cache.Request(nextRequest)).Payload());
    }

    [Fact]
    public void ANode_KeepsTheTwoNewestModels_AndARequestForAnOlderOneFailsNamingIt()
    {
        // given three rounds' models sent to a node in turn
        var rounds = Enumerable.Range(1, 3).Select(r => OneRequest(Model(2_000, r))).ToList();
        var cache = new ModelCache();
        foreach (var (chunks, _, _) in rounds)
        {
            Assert.All(chunks, c => Assert.Empty(cache.Add(c, DateTime.UtcNow)));
        }

        // when a late request names the first round's model, and another the second's
        var late = Assert.Single(cache.Request(rounds[0].Shared));
        var previous = Assert.Single(cache.Request(rounds[1].Shared));

        // then the node holds only the last two, the first's request fails saying it was superseded, and the second's is built
        Assert.Equal([rounds[1].Shared.Model, rounds[2].Shared.Model], cache.Held);
        Assert.Contains($"model {rounds[0].Shared.Model} is not held on this node", late.Failure);
        Assert.Null(previous.Failure);
    }

    [Fact]
    public void AModelTruncated_FailsTheRequestsWaitingForIt_AtTheTransferTimeout()
    {
        // given a request waiting for a model of which only the first chunk came
        var (chunks, shared, _) = OneRequest(Model(5_000, 2f));
        var cache = new ModelCache();
        var start = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        cache.Add(chunks[0], start);
        cache.Request(shared);

        // when the timeout has not passed, then it still waits; when it has, then the request fails naming the count
        Assert.Empty(cache.Expire(start.AddSeconds(30), TimeSpan.FromSeconds(60)));
        var failed = Assert.Single(cache.Expire(start.AddSeconds(61), TimeSpan.FromSeconds(60)));
        Assert.Contains($"model {shared.Model} is truncated: 1 of its {chunks.Count} chunks arrived", failed.Failure);
    }

    [Fact]
    public void ARequestTheNodeCouldNotBuild_DropsThatClientsUpdateForTheRound_AndItsModelIsSentAgainWhenNextNeeded()
    {
        // given a gateway, a welcomed node with two registered clients, and round 1's fit requests to both
        var coordinator = CreateTestProbe();
        var link = CreateTestProbe();
        var gateway = Sys.ActorOf(ClientGateway.Props(coordinator.Ref, TestParameters.Layout, Node.Cluster with { ChunkSize = ChunkSize }));
        ClientId first = new("client-0"), second = new("client-1");
        gateway.Tell(new NodeHello(ProtocolSerializer.WireVersion, link.Ref, [first, second], TestParameters.Layout));
        link.ExpectMsg<NodeWelcome>();
        coordinator.ExpectMsg<NodeReachable>();
        var standIns = new Dictionary<ClientId, IActorRef>();
        foreach (var id in new[] { first, second })
        {
            foreach (var chunk in Chunking.Split(Sys, id, new RegisterClient(id), ChunkSize))
            {
                gateway.Tell(chunk);
            }

            coordinator.ExpectMsg<RegisterClientOnNode>();
            standIns[id] = coordinator.LastSender;
        }

        var global = TestParameters.Filled(1);
        foreach (var id in new[] { first, second })
        {
            standIns[id].Tell(Fit(global, seed: 1), coordinator.Ref);
        }

        var sent = link.ReceiveN(3, TimeSpan.FromSeconds(5));
        Assert.Single(sent.OfType<ModelChunk>());
        var model = sent.OfType<SharedRequest>().First().Model;

        // when the node reports that it could not build the first client's request
        gateway.Tell(new RequestLost(first, model, $"model {model}: chunk 0 of 1 is corrupted"));

        // then the coordinator hears that the first client failed round 1's fit, naming why, from its stand-in
        var failed = coordinator.ExpectMsg<ClientFailed>();
        Assert.Equal((first, 1, RoundCoordinator.FitPhase), (failed.Client, failed.Round.Value, failed.Phase));
        Assert.Contains("its request on node", failed.Reason);
        Assert.Contains("chunk 0 of 1 is corrupted", failed.Reason);
        Assert.Equal(standIns[first], coordinator.LastSender);

        // and the next request that carries that model sends the model again before it
        standIns[first].Tell(new EvaluateRequest(new RoundNumber(1), 1, global, TimeSpan.FromMinutes(1)), coordinator.Ref);
        Assert.Equal(model, link.ExpectMsg<ModelChunk>().Model);
        Assert.Equal(model, link.ExpectMsg<SharedRequest>().Model);
    }

    [Fact]
    public void TheNewMessages_RoundTrip_ThroughTheClusterSerializer()
    {
        // given one of each message of the model-once protocol
        var (chunks, shared, _) = OneRequest(Model(500, 1f));
        INodeMessage[] messages = [chunks[0], shared, new ChunksReceived(new ClientId("client-3"), 8), new RequestLost(new ClientId("client-3"), shared.Model, "model x is not held")];

        foreach (var message in messages)
        {
            // when it is serialized and read back
            var serializer = Serializer(message);
            var back = serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));

            // then it has the same fields and bytes
            Assert.Equal(Describe(message), Describe(back));
        }
    }

    private static string Describe(object m) => m switch
    {
        ModelChunk c => $"{c.Model} {c.Index} {c.Count} {c.Checksum} {Convert.ToHexString(c.Data.Span)}",
        SharedRequest r => $"{r.Transfer} {r.Client} {r.Manifest} {r.Model} {r.Checksum} {Convert.ToHexString(r.Before.Span)} {Convert.ToHexString(r.After.Span)}",
        _ => m.ToString()!,
    };

    internal static Parameters Model(int length, float scale) =>
        Parameters.Wrap(new ParameterLayout([new TensorSpec("w", [length])]), [.. Enumerable.Range(0, length).Select(i => i * scale)]);

    internal static FitRequest Fit(Parameters global, int seed) => new(
        new RoundNumber(1), 1, global, new FitConfig(1, 32, 0.01f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), seed, ImmutableSortedDictionary<string, Parameters>.Empty, TimeSpan.FromMinutes(1));

    private SerializerWithStringManifest Serializer(object message) => (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);

    // What an outbox sends a node for one request of one model: the model's chunks, then the request.
    private (List<ModelChunk> Chunks, SharedRequest Shared, FitRequest Request) OneRequest(Parameters global)
    {
        var link = CreateTestProbe();
        var outbox = Sys.ActorOf(NodeOutbox.Props(link.Ref, ChunkSize, new SharedModels(ChunkSize), TimeSpan.FromMinutes(1)));
        var request = Fit(global, seed: 5);
        outbox.Tell(new OutboundRequest(new ClientId("client-0"), request));
        var count = (int)Math.Ceiling(ProtocolSerializer.EncodeParameters(global).Length / (double)ChunkSize);
        var received = ReceiveAll(link, outbox, count + 1);
        return (received.OfType<ModelChunk>().ToList(), received.OfType<SharedRequest>().Single(), request);
    }

    // Receives what the outbox sends, acknowledging every message as a node would.
    private static List<INodeMessage> ReceiveAll(Akka.TestKit.TestProbe link, IActorRef outbox, int expected)
    {
        var received = new List<INodeMessage>();
        while (received.Count < expected)
        {
            received.Add(link.ExpectMsg<INodeMessage>(TimeSpan.FromSeconds(5)));
            outbox.Tell(new ChunksReceived(new ClientId("client-0"), 1));
        }

        link.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        return received;
    }
}
