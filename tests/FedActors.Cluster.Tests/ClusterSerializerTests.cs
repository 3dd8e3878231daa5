using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Serialization;
using FedActors.Cluster.Transfers;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>The cluster layer's wire messages through the serializer Akka finds for them.</summary>
public sealed class ClusterSerializerTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("serializer-tests", FedActorsConfig.Load(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), ClusterSettings.Defaults));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public void EveryNodeMessage_RoundTrips_ThroughTheClusterSerializer()
    {
        // given one of each message, a hello with an actor reference, clients and a layout
        var link = _system.ActorOf(Props.Empty, "link");
        var hello = new NodeHello(ProtocolSerializer.WireVersion, link, [new ClientId("a"), new ClientId("b")], TestParameters.Layout);
        var chunk = Chunking.Split(Guid.NewGuid(), new ClientId("a"), "FR", [1, 2, 3, 4, 5], chunkSize: 2)[1];

        // when each goes through the serializer bound to it
        var back = new object[] { hello, NodeWelcome.Instance, new NodeRefused("why"), new RunEnded(true, "done"), chunk, new RunInterrupted("after round 2"), new NodeLeaving(hello.Link), NodeLeft.Instance }.Select(RoundTrip).ToList();

        // then each comes back equal, the hello's link to the same actor and the chunk's bytes the same
        var helloBack = Assert.IsType<NodeHello>(back[0]);
        Assert.Equal(hello.WireVersion, helloBack.WireVersion);
        Assert.Equal(link, helloBack.Link);
        Assert.Equal(hello.Clients.ToArray(), helloBack.Clients.ToArray());
        Assert.True(TestParameters.Layout.Matches(helloBack.Layout!));
        Assert.Same(NodeWelcome.Instance, back[1]);
        Assert.Equal(new NodeRefused("why"), back[2]);
        Assert.Equal(new RunEnded(true, "done"), back[3]);
        var chunkBack = Assert.IsType<Chunk>(back[4]);
        Assert.Equal(chunk with { Data = default }, chunkBack with { Data = default });
        Assert.Equal(chunk.Data.ToArray(), chunkBack.Data.ToArray());
        Assert.Equal(new RunInterrupted("after round 2"), back[5]);
        Assert.Equal(link, Assert.IsType<NodeLeaving>(back[6]).Link);
        Assert.Same(NodeLeft.Instance, back[7]);
        Assert.IsType<ClusterSerializer>(_system.Serialization.FindSerializerFor(chunk));
    }

    [Fact]
    public void AWelcome_NamingTheBulkPortAndToken_RoundTrips_AndOneWithAPortOutOfRangeIsRefusedNamingIt()
    {
        // given a welcome that names a bulk port and a node's token
        var token = Enumerable.Range(0, Transfers.BulkConnection.TokenLength).Select(i => (byte)(i * 7)).ToArray();
        var welcome = new NodeWelcome(40123, token);

        // when it goes through the serializer, then the port and the token come back
        var back = Assert.IsType<NodeWelcome>(RoundTrip(welcome));
        Assert.Equal(40123, back.BulkPort);
        Assert.Equal(token, back.BulkToken.ToArray());

        // and when its port field says 70000, then it is refused, naming the field
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(welcome);
        var bytes = serializer.ToBinary(welcome);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), 70000);
        var error = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(welcome)));
        Assert.Contains("bulk port is 70000, outside 0..65535", error.Message);
    }

    [Fact]
    public void AHello_OfAnotherWireVersion_IsReadAsFarAsItsVersionAndLink()
    {
        // given the bytes of a hello from a node of wire version 9, whose layout after the link is unknown
        var link = _system.ActorOf(Props.Empty, "old-link");
        var current = new NodeHello(ProtocolSerializer.WireVersion, link, [new ClientId("a")], TestParameters.Layout);
        var bytes = Serializer.ToBinary(current);
        bytes[0] = 9;

        // when the serializer reads it
        var hello = Assert.IsType<NodeHello>(Serializer.FromBinary(bytes, Serializer.Manifest(current)));

        // then the server learns the version and who to refuse, and nothing more
        Assert.Equal(9, hello.WireVersion);
        Assert.Equal(link, hello.Link);
        Assert.Empty(hello.Clients);
        Assert.Null(hello.Layout);
    }

    [Fact]
    public void AChunk_OfAnotherWireVersion_FailsNamingBothVersions()
    {
        // given a chunk's bytes with another version byte
        var chunk = Chunking.Split(Guid.NewGuid(), new ClientId("a"), "FR", [1, 2, 3], chunkSize: 8)[0];
        var bytes = Serializer.ToBinary(chunk);
        bytes[0] = 9;

        // when it is read
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(chunk)));

        // then the error names both versions
        Assert.Contains("wire version 9", error.Message);
        Assert.Contains($"version {ProtocolSerializer.WireVersion}", error.Message);
    }

    [Fact]
    public void AChunk_CutShort_FailsAsTruncated()
    {
        // given a chunk's bytes without their last byte
        var chunk = Chunking.Split(Guid.NewGuid(), new ClientId("a"), "FR", [1, 2, 3], chunkSize: 8)[0];
        var bytes = Serializer.ToBinary(chunk)[..^1];

        // when it is read
        var error = Assert.Throws<SerializationException>(() => Serializer.FromBinary(bytes, Serializer.Manifest(chunk)));

        // then it says so
        Assert.Contains("truncated", error.Message);
    }

    private SerializerWithStringManifest Serializer => (SerializerWithStringManifest)_system.Serialization.FindSerializerForType(typeof(INodeMessage));

    [Fact]
    public void AChallengeAndAHelloWithAProof_RoundTrip()
    {
        // given a challenge and a hello carrying a proof
        var link = _system.ActorOf(Props.Empty, "link");
        var challenge = new NodeChallenge(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        var proof = new NodeProof(new byte[] { 1, 2, 3 }, challenge.Nonce, new byte[] { 9, 8 });
        var hello = new NodeHello(ProtocolSerializer.WireVersion, link, [new ClientId("a")], TestParameters.Layout, proof);

        // when both go through the serializer
        var challengeBack = Assert.IsType<NodeChallenge>(RoundTrip(challenge));
        var helloBack = Assert.IsType<NodeHello>(RoundTrip(hello));

        // then every byte comes back
        Assert.Equal(challenge.Nonce.ToArray(), challengeBack.Nonce.ToArray());
        Assert.Equal(proof.Certificate.ToArray(), helloBack.Proof!.Certificate.ToArray());
        Assert.Equal(proof.Nonce.ToArray(), helloBack.Proof.Nonce.ToArray());
        Assert.Equal(proof.Signature.ToArray(), helloBack.Proof.Signature.ToArray());
        Assert.Null(Assert.IsType<NodeHello>(RoundTrip(hello with { Proof = null })).Proof);
    }

    [Fact]
    public void AChallengeWithAnOversizedNonce_IsAClearSerializationError()
    {
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(new NodeChallenge(new byte[32]));
        var bytes = serializer.ToBinary(new NodeChallenge(new byte[33]));
        var e = Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(new NodeChallenge(new byte[32]))));
        Assert.Contains("NodeChallenge payload is malformed", e.Message);
    }

    private object RoundTrip(object message)
    {
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(message);
        return serializer.FromBinary(serializer.ToBinary(message), serializer.Manifest(message));
    }
}
