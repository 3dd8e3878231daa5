using Google.Protobuf;
using FedActors.Cluster.Configuration;

namespace FedActors.Cluster.Security;

/// <summary>
/// What a server node accepts from a node outside its membership, decided on each Akka.Remote
/// protocol frame before Akka reads it: only the ClusterClient's conversation with the
/// receptionist, and through it only the cluster layer's messages for the gateway.
/// <para>
/// Akka's untrusted mode alone is not enough: it drops actor selections to other paths and
/// PoisonPill-like messages, but any message addressed to an actor by its path is delivered, so a
/// client node could send Akka.Cluster's own Down or Leave to <c>/system/cluster/core/daemon</c>
/// (the tests show the server leaving) or a registration straight to the coordinator. Here a
/// frame passes only if it carries no message (handshakes, heartbeats, acknowledgements) or a
/// message that is
/// </para>
/// <list type="bullet">
/// <item>addressed to the root guardian (an actor selection, which untrusted mode then restricts to
/// the receptionist) or to the receptionist itself;</item>
/// <item>not a system message (watch, terminate, supervise...);</item>
/// <item>an actor selection of a ClusterClient message or an Identify, a ClusterClient message
/// (GetContacts, Heartbeat), or a ClusterClient's Send to the gateway's path of a cluster-layer
/// message: the serializers a client's payload names are checked at every level, so no other
/// deserializer (Akka's JSON fallback among them) ever reads a client's bytes.</item>
/// </list>
/// </summary>
internal static class InboundPolicy
{
    // Akka.Remote's serializer identifiers (Remote.conf, the Cluster.Tools reference files) and ours.
    private const int MessageContainerSerializer = 6;
    private const int PubSubSerializer = 9;
    private const int ClusterClientSerializer = 15;
    private const int MiscMessageSerializer = 16;
    private const string PubSubSendManifest = "C";

    // RemoteEnvelope.seq of a user message; a system message carries its sequence number instead.
    private const ulong NoSequence = ulong.MaxValue;

    /// <summary>Why <paramref name="frame"/> (an AkkaProtocolMessage) must not pass; null when it may.</summary>
    public static string? Refusal(ByteString frame)
    {
        try
        {
            var payload = Field(frame, 1);
            if (payload is null)
            {
                return null;
            }

            var envelope = Field(payload, 2);
            return envelope is null ? null : EnvelopeRefusal(envelope);
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"an unreadable frame ({e.Message})";
        }
    }

    /// <summary>
    /// The address a handshake frame (an ASSOCIATE control message) says its node has, as
    /// <c>system@host:port</c>; null for any other frame.
    /// </summary>
    public static string? HandshakeOrigin(ByteString frame)
    {
        try
        {
            // AkkaProtocolMessage.instruction = 2 -> AkkaControlMessage.handshakeInfo = 2 -> AkkaHandshakeInfo.origin = 1
            // -> AddressData { system = 1, hostname = 2, port = 3 (uint32) }
            var origin = Field(frame, 2) is { } instruction && Field(instruction, 2) is { } handshake ? Field(handshake, 1) : null;
            if (origin is null)
            {
                return null;
            }

            var port = 0U;
            var input = origin.CreateCodedInput();
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                if (WireFormat.GetTagFieldNumber(tag) == 3 && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
                {
                    port = input.ReadUInt32();
                }
                else
                {
                    input.SkipLastField();
                }
            }

            return $"{String(origin, 1)}@{String(origin, 2)}:{port}";
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }

    private static string? EnvelopeRefusal(ByteString envelope)
    {
        ByteString? recipient = null, message = null;
        var sequence = 0UL;
        var input = envelope.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    recipient = input.ReadBytes();
                    break;
                case 2:
                    message = input.ReadBytes();
                    break;
                case 5:
                    sequence = input.ReadFixed64();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        var path = recipient is null ? string.Empty : String(recipient, 1) ?? string.Empty;
        var local = LocalPart(path);
        if (local is not ("/" or NodeConfig.ReceptionistPath))
        {
            return $"a message for {path}: a client node may only talk to the receptionist";
        }

        if (sequence != NoSequence)
        {
            return $"a system message for {path}";
        }

        if (message is null)
        {
            return $"a message without a payload for {path}";
        }

        var (serializer, manifest, bytes) = Payload(message);
        return serializer switch
        {
            MessageContainerSerializer => Field(bytes, 1) is { } inner && Payload(inner).Serializer is ClusterClientSerializer or MiscMessageSerializer
                ? null
                : $"an actor selection of a message that is not the ClusterClient's, for {path}",
            ClusterClientSerializer => null,
            PubSubSerializer when manifest == PubSubSendManifest => SendRefusal(bytes),
            _ => $"a message of serializer {serializer} (manifest '{manifest}') for {path}: not the ClusterClient's",
        };
    }

    // The ClusterClient's Send: only to the gateway, and only the cluster layer's messages.
    private static string? SendRefusal(ByteString send)
    {
        var target = String(send, 1);
        if (target != NodeConfig.GatewayPath)
        {
            return $"a ClusterClient message for {target}: only {NodeConfig.GatewayPath} is served";
        }

        var inner = Field(send, 3);
        var serializer = inner is null ? 0 : Payload(inner).Serializer;
        return serializer == Serialization.ClusterSerializer.SerializerId
            ? null
            : $"a message of serializer {serializer} for {NodeConfig.GatewayPath}: only the cluster layer's messages are served";
    }

    // Payload { bytes message = 1; int32 serializerId = 2; bytes messageManifest = 3; }
    private static (int Serializer, string Manifest, ByteString Bytes) Payload(ByteString payload)
    {
        var (serializer, manifest, bytes) = (0, string.Empty, ByteString.Empty);
        var input = payload.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    bytes = input.ReadBytes();
                    break;
                case 2:
                    serializer = input.ReadInt32();
                    break;
                case 3:
                    manifest = input.ReadBytes().ToStringUtf8();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return (serializer, manifest, bytes);
    }

    // The bytes of a length-delimited field (the last one, as protobuf reads repeated scalars).
    private static ByteString? Field(ByteString message, int number)
    {
        ByteString? found = null;
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found = input.ReadBytes();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static string? String(ByteString message, int number) => Field(message, number)?.ToStringUtf8();

    // "akka.tcp://system@host:port/system/receptionist#123" -> "/system/receptionist"
    private static string LocalPart(string path)
    {
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        var start = scheme < 0 ? -1 : path.IndexOf('/', scheme + 3);
        if (start < 0)
        {
            return string.Empty;
        }

        var end = path.IndexOf('#', start);
        return end < 0 ? path[start..] : path[start..end];
    }
}
