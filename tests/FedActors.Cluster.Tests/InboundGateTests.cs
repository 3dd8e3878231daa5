using Akka.Actor;
using Akka.Remote.Transport;
using Akka.TestKit.Xunit2;
using FedActors.Cluster.Security;
using FedActors.Cluster.Tests.Support;
using Google.Protobuf;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The server's transport adapter on one inbound connection: frames as they come off the wire,
/// handed to the gate's reader, and what it passes on to Akka.Remote.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class InboundGateTests : TestKit
{
    private static readonly Address Server = new("akka.tcp", "fedactors", "127.0.0.1", 4053);
    private static readonly Address Peer = new("akka.tcp", "fedactors", "127.0.0.1", 4054);
    private static readonly Address ClientNode = new("akka.tcp", "fedactors", "127.0.0.1", 40111);

    private static readonly string Daemon = $"{Server}/system/cluster/core/daemon";

    // Akka.Cluster's message serializer: what Down and Leave for the daemon are written with.
    private const int ClusterMessages = 5;

    private readonly InboundGate _gate;

    public InboundGateTests()
        : base($$"""
            akka.loglevel = WARNING
            fedactors.cluster.server.peers = ["{{Peer}}"]
            """)
    {
        _gate = new InboundGate(new TestTransport(Server, new AssociationRegistry()), (ExtendedActorSystem)Sys);
    }

    [Fact]
    public void AClientNodesConnection_WhenALaterFrameIsAHandshakeNamingAPeer_StaysGated_AndDropsAMessageForTheDaemon()
    {
        // given a client node's connection: its own handshake, then a heartbeat, both passed on
        var (reader, passed) = Connection(ClientNode);
        var (own, heartbeat) = (ProtocolFrames.Handshake(ClientNode), ProtocolFrames.HeartbeatFrame());
        reader.Notify(new InboundPayload(own));
        reader.Notify(new InboundPayload(heartbeat));

        // when it sends a handshake-shaped frame naming a server peer's address, then a message for the cluster daemon
        var posing = ProtocolFrames.Handshake(Peer);
        var down = ProtocolFrames.UserMessage(Daemon, ClusterMessages);
        EventFilter.Warning(contains: $"Dropped a message for {Daemon}").ExpectOne(() =>
        {
            reader.Notify(new InboundPayload(posing));
            reader.Notify(new InboundPayload(down));
        });

        // then the message never reached Akka: the connection is still a client node's
        // (Akka.Remote ignores an ASSOCIATE on an open association, so the posing frame itself is harmless)
        Assert.Equal([own, heartbeat, posing], passed);
    }

    [Fact]
    public void APeersConnection_WhoseFirstFrameIsItsHandshake_IsLetThroughWhole()
    {
        // given a connection whose first frame is the handshake of a configured server peer
        var (reader, passed) = Connection(Peer);
        var handshake = ProtocolFrames.Handshake(Peer);
        reader.Notify(new InboundPayload(handshake));

        // when it sends a message for the cluster daemon, as a member does
        var gossip = ProtocolFrames.UserMessage(Daemon, ClusterMessages);
        EventFilter.Warning().Expect(0, () => reader.Notify(new InboundPayload(gossip)));

        // then both went on to Akka
        Assert.Equal([handshake, gossip], passed);
    }

    [Fact]
    public void AConnection_WhoseFirstFrameIsNotAHandshake_IsNeverAPeers()
    {
        // given a connection that opens with a heartbeat (Akka.Remote drops such a connection; the gate decides on it once)
        var (reader, passed) = Connection(ClientNode);
        var heartbeat = ProtocolFrames.HeartbeatFrame();
        reader.Notify(new InboundPayload(heartbeat));

        // when its second frame is a peer's handshake, and its third a message for the daemon
        var posing = ProtocolFrames.Handshake(Peer);
        EventFilter.Warning(contains: $"Dropped a message for {Daemon}").ExpectOne(() =>
        {
            reader.Notify(new InboundPayload(posing));
            reader.Notify(new InboundPayload(ProtocolFrames.UserMessage(Daemon, ClusterMessages)));
        });

        // then the message was dropped
        Assert.Equal([heartbeat, posing], passed);
    }

    private (IHandleEventListener Reader, List<ByteString> Passed) Connection(Address from)
    {
        var upstream = new RecordingListener();
        return (new InboundGate.GatedReader(upstream, _gate, from), upstream.Payloads);
    }

    // Akka.Remote's side of the connection: what the gate let through, in order.
    private sealed class RecordingListener : IHandleEventListener
    {
        public List<ByteString> Payloads { get; } = [];

        public void Notify(IHandleEvent ev) => Payloads.Add(((InboundPayload)ev).Payload);
    }
}
