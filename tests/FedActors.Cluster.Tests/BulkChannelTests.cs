using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit.Xunit2;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Security;
using FedActors.Cluster.Server;
using FedActors.Cluster.Tests.Support;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The bulk channel: the second connection a welcomed node dials to the server's bulk port, on
/// which models, requests and updates travel whole. The server's gateway is real; the test plays
/// the node, with a probe for its Akka link and the bulk connection it dials itself.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class BulkChannelTests : TestKit, IDisposable
{
    private static readonly (Akka.Configuration.Config Config, ClusterSettings Cluster) Node = LocalCluster.ServerNodeConfig();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly string _audit = Path.Combine(Path.GetTempPath(), $"fedactors-bulk-audit-{Guid.NewGuid():N}.jsonl");
    private readonly List<BulkConnection> _connections = [];

    public BulkChannelTests()
        : base(Node.Config)
    {
    }

    [Fact]
    public async Task AWelcomedNode_OnItsBulkConnection_GetsTheModelOnceAndEachRequestWhole_AndItsUpdateReachesTheCoordinator()
    {
        // given a welcomed node of two clients that dialled the bulk port with its token, and registered both on it
        var (coordinator, link, gateway) = Gateway();
        ClientId first = new("client-0"), second = new("client-1");
        var welcome = Welcome(gateway, link, coordinator, first, second);
        var (bulk, inbox, _) = await DialAsync(welcome);
        var standIns = new Dictionary<ClientId, IActorRef>();
        foreach (var id in new[] { first, second })
        {
            Assert.True(bulk.TrySend(Frame(id, new RegisterClient(id))));
            coordinator.ExpectMsg<RegisterClientOnNode>(Patience);
            standIns[id] = coordinator.LastSender;
        }

        // when round 1's fit requests go to both clients
        var global = TestParameters.Filled(3);
        var requests = new[] { first, second }.Select((id, i) => (Id: id, Request: ModelOncePerNodeTests.Fit(global, seed: 40 + i))).ToList();
        foreach (var (id, request) in requests)
        {
            standIns[id].Tell(request, coordinator.Ref);
        }

        // then the node's bulk connection carried the model once, then one small request per client,
        // each rebuilt to exactly the serializer's bytes of it, and nothing went over its Akka link
        var model = await inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(BulkKind.Model, model.Kind);
        Assert.Null(model.Damage);
        var cache = new ModelCache();
        Assert.Empty(cache.AddWhole(model.ModelId(), model.Payload.ToArray()));
        var served = new List<ClientId>();
        foreach (var _ in requests)
        {
            var frame = await inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.Equal(BulkKind.NodeMessage, frame.Kind);
            var shared = (SharedRequest)Serializer(typeof(INodeMessage)).FromBinary(frame.Payload.ToArray(), frame.NodeManifest());
            Assert.Equal(model.ModelId(), shared.Model);
            var request = requests.Single(r => r.Id == shared.Client).Request;
            Assert.Equal(Serializer(request).ToBinary(request), Assert.Single(cache.Request(shared)).Payload());
            served.Add(shared.Client);
        }

        Assert.Equal([first, second], served.Order());

        link.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // and an update the node sends on it reaches the coordinator from that client's stand-in
        var update = new FitResult(first, new RoundNumber(1), 1, TestParameters.Filled(4), 10, 0.5, 0.5, ImmutableSortedDictionary<string, Core.Tensors.Parameters>.Empty, ImmutableSortedDictionary<string, double>.Empty);
        Assert.True(bulk.TrySend(Frame(first, update)));
        var arrived = coordinator.ExpectMsg<FitResult>(Patience);
        Assert.Equal(TestParameters.Bits(update.Updated), TestParameters.Bits(arrived.Updated));
        Assert.Equal(standIns[first], coordinator.LastSender);
    }

    [Theory]
    [InlineData("a token the server never gave")]
    [InlineData("bytes that are not the bulk preface")]
    [InlineData("another wire version")]
    public async Task AConnectionWithoutAGivenToken_IsClosed_LoggedAndAudited(string stranger)
    {
        // given a gateway with an audit log, and a welcomed node whose token the stranger does not have
        var (coordinator, link, gateway) = Gateway(new AuditLog(_audit));
        var welcome = Welcome(gateway, link, coordinator, new ClientId("client-0"));

        // when a stranger connects to the bulk port and shows what it has
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", welcome.BulkPort);
        var preface = Preface(System.Security.Cryptography.RandomNumberGenerator.GetBytes(BulkConnection.TokenLength));
        if (stranger == "bytes that are not the bulk preface")
        {
            "GET / HTTP/1.1\r\nHost: fedactors\r\n\r\n"u8.ToArray().CopyTo(preface, 0);
        }
        else if (stranger == "another wire version")
        {
            preface = Preface(welcome.BulkToken.ToArray());
            preface[BulkConnection.Magic.Length] = ProtocolSerializer.WireVersion + 1;
        }

        await socket.GetStream().WriteAsync(preface);

        // then the server closes it without accepting, and its audit log says why
        var answer = new byte[1];
        Assert.Equal(0, await socket.GetStream().ReadAsync(answer).AsTask().WaitAsync(Patience));
        var why = stranger switch
        {
            "a token the server never gave" => "its token is not one this server gave a welcomed node",
            "bytes that are not the bulk preface" => "it is not a FedActors bulk connection",
            _ => $"it speaks FedActors wire version {ProtocolSerializer.WireVersion + 1}",
        };
        await AwaitConditionAsync(() => Task.FromResult(File.Exists(_audit) && File.ReadAllText(_audit).Contains(why)), Patience);
        var line = File.ReadAllLines(_audit).Single(l => l.Contains(why));
        Assert.Contains("\"bulk-refused\"", line);
        Assert.Contains("\"decision\":\"refused\"", line);
    }

    [Fact]
    public async Task AMessageOnOneNodesBulkConnection_InTheNameOfAnotherNodesClient_IsIgnored()
    {
        // given two welcomed nodes, each of one registered client, and the first node's bulk connection
        // (the second node's link lives in another actor system: another node's address)
        var (coordinator, link, gateway) = Gateway();
        using var otherNode = ActorSystem.Create("other-node");
        var other = CreateTestProbe(otherNode);
        ClientId mine = new("client-0"), theirs = new("client-1");
        var welcome = Welcome(gateway, link, coordinator, mine);
        Welcome(gateway, other, coordinator, theirs);
        var (bulk, _, _) = await DialAsync(welcome);

        // when the first node sends, on its bulk connection, a registration in the second node's client's name
        Assert.True(bulk.TrySend(Frame(theirs, new RegisterClient(theirs))));

        // then it reaches nobody, while the same for its own client reaches the coordinator
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.True(bulk.TrySend(Frame(mine, new RegisterClient(mine))));
        Assert.Equal(mine, coordinator.ExpectMsg<RegisterClientOnNode>(Patience).Client);
    }

    [Fact]
    public async Task ACorruptedFrame_FailsThatClientsMessageNamingItsCrc_AndTheConnectionGoesOn()
    {
        // given a welcomed node of one client, registered, on a bulk connection the test writes by hand
        var (coordinator, link, gateway) = Gateway();
        var id = new ClientId("client-0");
        var welcome = Welcome(gateway, link, coordinator, id);
        using var socket = await RawAsync(welcome);
        await WriteFrameAsync(socket, Frame(id, new RegisterClient(id)));
        Assert.Equal(id, coordinator.FishForMessage<RegisterClientOnNode>(_ => true, Patience).Client);
        var standIn = coordinator.LastSender;
        standIn.Tell(new FitRequest(new RoundNumber(1), 1, TestParameters.Filled(1), new FitConfig(1, 32, 0.01f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), 1, ImmutableSortedDictionary<string, Core.Tensors.Parameters>.Empty, Patience), coordinator.Ref);

        // when its update arrives with a byte flipped after the sender's CRC-32 was taken
        var update = new FitResult(id, new RoundNumber(1), 1, TestParameters.Filled(4), 10, 0.5, 0.5, ImmutableSortedDictionary<string, Core.Tensors.Parameters>.Empty, ImmutableSortedDictionary<string, double>.Empty);
        await WriteFrameAsync(socket, Frame(id, update), flipByte: 40);

        // then the coordinator hears that client's fit failed, naming the CRC-32, from its stand-in
        var failed = coordinator.FishForMessage<ClientFailed>(_ => true, Patience);
        Assert.Equal(id, failed.Client);
        Assert.Contains("CRC-32", failed.Reason);
        Assert.Equal(standIn, coordinator.LastSender);

        // and the connection goes on: the next frame is read and delivered
        await WriteFrameAsync(socket, Frame(id, update with { Attempt = 2 }));
        Assert.Equal(2, coordinator.FishForMessage<FitResult>(_ => true, Patience).Attempt);
    }

    [Fact]
    public async Task AnUnreadableUpdate_WhoseCrcIsRight_FailsThatClientsMessageSayingSo()
    {
        // given a welcomed node of one registered client with a fit request in flight, on a bulk connection the test writes by hand
        var (coordinator, link, gateway) = Gateway();
        var id = new ClientId("client-0");
        var welcome = Welcome(gateway, link, coordinator, id);
        using var socket = await RawAsync(welcome);
        await WriteFrameAsync(socket, Frame(id, new RegisterClient(id)));
        coordinator.FishForMessage<RegisterClientOnNode>(_ => true, Patience);
        var standIn = coordinator.LastSender;
        standIn.Tell(ModelOncePerNodeTests.Fit(TestParameters.Filled(1), seed: 2), coordinator.Ref);

        // when its reply arrives whole and checksummed, but its bytes are no fit result of this wire version
        await WriteFrameAsync(socket, BulkFrame.Message(id, "FR", Guid.NewGuid(), new byte[] { ProtocolSerializer.WireVersion, 1, 2, 3 }));

        // then the coordinator hears that the client's fit failed, saying the message is unreadable, from its stand-in
        var failed = coordinator.FishForMessage<ClientFailed>(_ => true, Patience);
        Assert.Equal(id, failed.Client);
        Assert.Contains("is unreadable", failed.Reason);
        Assert.Equal(standIn, coordinator.LastSender);
    }

    [Fact]
    public async Task AFrameLongerThanTheModelAllows_ClosesThatConnection_AndTheNodesRequestsGoInChunks()
    {
        // given a welcomed node of one registered client, on a bulk connection the test writes by hand
        var (coordinator, link, gateway) = Gateway();
        var id = new ClientId("client-0");
        var welcome = Welcome(gateway, link, coordinator, id);
        var events = CreateTestProbe();
        Sys.EventStream.Subscribe(events.Ref, typeof(NodeBulkChannel));
        using var socket = await RawAsync(welcome);
        Assert.True(events.ExpectMsg<NodeBulkChannel>(Patience).Open);
        await WriteFrameAsync(socket, Frame(id, new RegisterClient(id)));
        coordinator.FishForMessage<RegisterClientOnNode>(_ => true, Patience);
        var standIn = coordinator.LastSender;

        // when a frame announces 2 GiB, beyond what a model of this layout can need
        var header = BulkFrame.Message(id, "FR", Guid.NewGuid(), ReadOnlyMemory<byte>.Empty).Header;
        var prefix = new byte[1 + 4 + header.Length + 8];
        prefix[0] = (byte)BulkKind.Message;
        BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(1), header.Length);
        header.CopyTo(prefix, 5);
        BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(5 + header.Length), int.MaxValue);
        await socket.GetStream().WriteAsync(prefix);

        // then the server closes the connection, saying the length is out of range
        var ended = events.ExpectMsg<NodeBulkChannel>(Patience);
        Assert.False(ended.Open);
        Assert.Contains($"of {int.MaxValue:N0} bytes, outside 0..{BulkFrame.MaxPayload(TestParameters.Layout):N0}", ended.Detail);
        Assert.Equal(0, await socket.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(Patience));

        // and the node's next request goes over its Akka link in chunks instead
        standIn.Tell(ModelOncePerNodeTests.Fit(TestParameters.Filled(2), seed: 3), coordinator.Ref);
        link.FishForMessage(m => m is ModelChunk, Patience);
    }

    [Fact]
    public void WhenTheBulkConnectionEnds_TheRequestsThatNeverLeftIt_GoInChunks_WithTheirModel()
    {
        // given an outbox sending on a bulk connection, which sent a model once already
        var link = CreateTestProbe();
        var outbox = Sys.ActorOf(NodeOutbox.Props(link.Ref, 4096, new SharedModels(4096), Patience));
        var connection = new BulkConnection(new MemoryStream(), new MemoryStream(), "test", 1 << 20);
        outbox.Tell(new UseBulk(connection));
        var request = new OutboundRequest(new ClientId("client-0"), ModelOncePerNodeTests.Fit(ModelOncePerNodeTests.Model(3_000, 1f), seed: 9));
        outbox.Tell(request);

        // when the connection ends with that request's frame unsent
        outbox.Tell(new BulkLost(connection, [BulkFrame.Model(Guid.NewGuid(), new byte[4]), BulkFrame.NodeMessage("SR", [1]) with { Origin = request }]));

        // then the request goes over the Akka link: the model's chunks, then the request naming it
        var first = link.ExpectMsg<ModelChunk>(Patience);
        var rest = link.ReceiveN(first.Count, Patience).ToList();
        Assert.Equal(first.Model, Assert.IsType<SharedRequest>(rest[^1]).Model);
        link.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public async Task AConnectionWhoseReceiverThrows_Ends_AndItsOwnerHearsWhy()
    {
        // given the two ends of a loopback connection, the receiving one with a receiver that throws
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        using var dialled = new TcpClient();
        var accepting = listener.AcceptTcpClientAsync();
        await dialled.ConnectAsync(System.Net.IPAddress.Loopback, ((System.Net.IPEndPoint)listener.LocalEndpoint).Port);
        using var accepted = await accepting;
        listener.Stop();
        var sender = new BulkConnection(dialled.GetStream(), dialled, "sender", 1 << 20);
        var receiver = new BulkConnection(accepted.GetStream(), accepted, "receiver", 1 << 20);
        _connections.Add(sender);
        _connections.Add(receiver);
        var ended = new TaskCompletionSource<BulkLoss>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Start(_ => throw new ArgumentException("a receiver's own bug"), l => ended.TrySetResult(l));
        sender.Start(_ => { }, _ => { });

        // when a frame arrives, then the receiving end ends, naming what went wrong
        Assert.True(sender.TrySend(BulkFrame.Model(Guid.NewGuid(), new byte[16])));
        var loss = await ended.Task.WaitAsync(Patience);
        Assert.Contains("ArgumentException: a receiver's own bug", loss.Reason);
        Assert.False(receiver.TrySend(BulkFrame.Model(Guid.NewGuid(), new byte[16])));
    }

    /// <inheritdoc />
    void IDisposable.Dispose()
    {
        foreach (var connection in _connections)
        {
            connection.Close("the test ended");
        }

        File.Delete(_audit);
        base.Dispose();
    }

    private (Akka.TestKit.TestProbe Coordinator, Akka.TestKit.TestProbe Link, IActorRef Gateway) Gateway(AuditLog? audit = null)
    {
        var coordinator = CreateTestProbe();
        var link = CreateTestProbe();
        var gateway = Sys.ActorOf(ClientGateway.Props(coordinator.Ref, TestParameters.Layout, Node.Cluster, audit: audit));
        return (coordinator, link, gateway);
    }

    private static NodeWelcome Welcome(IActorRef gateway, Akka.TestKit.TestProbe link, Akka.TestKit.TestProbe coordinator, params ClientId[] clients)
    {
        gateway.Tell(new NodeHello(ProtocolSerializer.WireVersion, link.Ref, [.. clients], TestParameters.Layout), link.Ref);
        var welcome = link.ExpectMsg<NodeWelcome>(Patience);
        coordinator.ExpectMsg<NodeReachable>(Patience);
        Assert.True(welcome.BulkPort > 0);
        Assert.Equal(BulkConnection.TokenLength, welcome.BulkToken.Length);
        return welcome;
    }

    private async Task<(BulkConnection Connection, Channel<BulkFrame> Inbox, TaskCompletionSource<BulkLoss> Ended)> DialAsync(NodeWelcome welcome)
    {
        var connection = await BulkConnection.DialAsync("127.0.0.1", welcome.BulkPort, welcome.BulkToken, TlsSettings.Disabled, BulkFrame.MaxPayload(TestParameters.Layout), Patience);
        _connections.Add(connection);
        var inbox = Channel.CreateUnbounded<BulkFrame>();
        var ended = new TaskCompletionSource<BulkLoss>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Start(f => inbox.Writer.TryWrite(f with { Payload = f.Payload.ToArray() }), l => ended.TrySetResult(l)); // the payload's buffer is the connection's until the callback returns
        return (connection, inbox, ended);
    }

    // A bulk connection opened by hand: the preface with the node's token, and the server's acceptance.
    private static async Task<TcpClient> RawAsync(NodeWelcome welcome)
    {
        var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", welcome.BulkPort);
        await socket.GetStream().WriteAsync(Preface(welcome.BulkToken.ToArray()));
        var answer = new byte[1];
        await socket.GetStream().ReadExactlyAsync(answer).AsTask().WaitAsync(Patience);
        Assert.Equal(BulkConnection.Accepted, answer[0]);
        return socket;
    }

    private static byte[] Preface(byte[] token) => [.. BulkConnection.Magic, ProtocolSerializer.WireVersion, .. token];

    // A frame as the format documents it, its payload's CRC-32 taken before the byte at flipByte (if any) is flipped.
    private static async Task WriteFrameAsync(TcpClient socket, BulkFrame frame, int flipByte = -1)
    {
        var payload = frame.Payload.ToArray();
        var bytes = new byte[1 + 4 + frame.Header.Length + 8 + payload.Length];
        bytes[0] = (byte)frame.Kind;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), frame.Header.Length);
        frame.Header.CopyTo(bytes, 5);
        var at = 5 + frame.Header.Length;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 4), System.IO.Hashing.Crc32.HashToUInt32(payload));
        if (flipByte >= 0)
        {
            payload[flipByte] ^= 0x10;
        }

        payload.CopyTo(bytes, at + 8);
        await socket.GetStream().WriteAsync(bytes);
    }

    private BulkFrame Frame(ClientId client, IFedActorsMessage message)
    {
        var serializer = Serializer(message);
        return BulkFrame.Message(client, serializer.Manifest(message), Guid.NewGuid(), serializer.ToBinary(message));
    }

    private SerializerWithStringManifest Serializer(object message) => (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);

    private SerializerWithStringManifest Serializer(Type type) => (SerializerWithStringManifest)Sys.Serialization.FindSerializerForType(type);
}
