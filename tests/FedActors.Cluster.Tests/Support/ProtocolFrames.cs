using Akka.Actor;
using Google.Protobuf;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// Akka.Remote protocol frames (AkkaProtocolMessage of Akka.Remote's WireFormats.proto) written
/// field by field, as a node sends them over the wire: Akka's own codec and message classes are
/// internal, and what the gate reads is these bytes.
/// </summary>
internal static class ProtocolFrames
{
    private const int Associate = 1;
    private const int Heartbeat = 3;

    /// <summary>An ASSOCIATE handshake whose origin is <paramref name="origin"/>.</summary>
    public static ByteString Handshake(Address origin) =>
        Message(w => w.WriteBytes(2, Message(c =>
        {
            c.WriteInt32(1, Associate); // AkkaControlMessage.commandType
            c.WriteBytes(2, Message(h => // AkkaHandshakeInfo
            {
                h.WriteBytes(1, Message(a => // AddressData
                {
                    a.WriteString(1, origin.System);
                    a.WriteString(2, origin.Host!);
                    a.WriteUInt32(3, (uint)origin.Port!.Value);
                    a.WriteString(4, origin.Protocol);
                }));
                h.WriteFixed64(2, 42); // uid
            }));
        })));

    /// <summary>A heartbeat: a control message without a payload, which any node may send.</summary>
    public static ByteString HeartbeatFrame() => Message(w => w.WriteBytes(2, Message(c => c.WriteInt32(1, Heartbeat))));

    /// <summary>
    /// A user message (no sequence number) for <paramref name="recipientPath"/> whose payload names
    /// <paramref name="serializer"/>: to anything but the receptionist, the gate refuses it from a client node.
    /// </summary>
    public static ByteString UserMessage(string recipientPath, int serializer, string manifest = "") =>
        Message(w => w.WriteBytes(1, Message(container => // AkkaProtocolMessage.payload: AckAndEnvelopeContainer
            container.WriteBytes(2, Message(e => // RemoteEnvelope
            {
                e.WriteBytes(1, Message(r => r.WriteString(1, recipientPath))); // ActorRefData.path
                e.WriteBytes(2, Message(p => // Payload
                {
                    p.WriteBytes(1, ByteString.CopyFromUtf8("{}"));
                    p.WriteInt32(2, serializer);
                    p.WriteString(3, manifest);
                }));
                e.WriteFixed64(5, ulong.MaxValue); // seq: undefined, a user message
            })))));

    private static ByteString Message(Action<Fields> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(new Fields(output));
        output.Flush();
        return ByteString.CopyFrom(buffer.ToArray());
    }

    /// <summary>Writes tagged fields of one protobuf message.</summary>
    private readonly struct Fields(CodedOutputStream output)
    {
        public void WriteBytes(int field, ByteString value) => Tag(field, WireFormat.WireType.LengthDelimited).WriteBytes(value);

        public void WriteString(int field, string value) => Tag(field, WireFormat.WireType.LengthDelimited).WriteString(value);

        public void WriteInt32(int field, int value) => Tag(field, WireFormat.WireType.Varint).WriteInt32(value);

        public void WriteUInt32(int field, uint value) => Tag(field, WireFormat.WireType.Varint).WriteUInt32(value);

        public void WriteFixed64(int field, ulong value) => Tag(field, WireFormat.WireType.Fixed64).WriteFixed64(value);

        private CodedOutputStream Tag(int field, WireFormat.WireType type)
        {
            output.WriteTag(field, type);
            return output;
        }
    }
}
