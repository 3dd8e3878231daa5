using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using FedActors.Cluster.Protocol;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;

namespace FedActors.Cluster.Serialization;

/// <summary>
/// Binary serializer for the cluster layer's messages (<see cref="INodeMessage"/>). Every payload
/// starts with the protocol's wire version byte, like <see cref="ProtocolSerializer"/>'s, and a
/// payload of another version fails naming both versions; except the two messages of the
/// handshake, whose first fields keep one layout in every version: a <see cref="NodeHello"/> of
/// another version is read as far as the node's link, so that the server can refuse the node by
/// name, and a <see cref="NodeRefused"/> is read whatever its version, so that the node can say why.
/// </summary>
public sealed class ClusterSerializer : SerializerWithStringManifest
{
    internal const int SerializerId = 472;

    private const string HelloManifest = "NH";
    private const string WelcomeManifest = "NW";
    private const string RefusedManifest = "NR";
    private const string RunEndedManifest = "RE";
    private const string ChunkManifest = "CK";
    private const string ChallengeManifest = "NC";
    private const string InterruptedManifest = "RI";
    private const string LeavingManifest = "NL";
    private const string LeftManifest = "NX";
    private const string ModelChunkManifest = "MC";
    private const string SharedRequestManifest = "SR";
    private const string ChunksReceivedManifest = "CR";
    private const string RequestLostManifest = "RL";

    // A chunk is at most fedactors.cluster.chunk-size (<= 120000 bytes); anything far larger is corrupt.
    private const int MaxChunkBytes = 1 << 20;
    private const int MaxClients = 1 << 16;
    private const int MaxCertificateBytes = 1 << 16;
    private const int MaxSignatureBytes = 1 << 12;

    private readonly ExtendedActorSystem _system;

    /// <summary>Creates the serializer; Akka calls this from the binding in reference.cluster.conf.</summary>
    public ClusterSerializer(ExtendedActorSystem system)
        : base(system) => _system = system;

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        NodeHello => HelloManifest,
        NodeWelcome => WelcomeManifest,
        NodeRefused => RefusedManifest,
        RunEnded => RunEndedManifest,
        Chunk => ChunkManifest,
        NodeChallenge => ChallengeManifest,
        RunInterrupted => InterruptedManifest,
        NodeLeaving => LeavingManifest,
        NodeLeft => LeftManifest,
        ModelChunk => ModelChunkManifest,
        SharedRequest => SharedRequestManifest,
        ChunksReceived => ChunksReceivedManifest,
        RequestLost => RequestLostManifest,
        _ => throw new ArgumentException($"{nameof(ClusterSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        // A chunk's exact size, so that its buffer is the payload itself: its data is copied once.
        using var stream = new MemoryStream(obj switch
        {
            Chunk c => 1 + 16 + Sized(c.Client.Value) + Sized(c.Manifest) + 16 + c.Data.Length,
            ModelChunk c => 1 + 16 + 16 + c.Data.Length,
            SharedRequest r => r.Before.Length + r.After.Length + 128,
            _ => 256,
        });
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            // Every message starts with its wire version; a hello with the node's own, since a hello
            // is how a node of another version is told apart.
            w.Write(obj is NodeHello hello ? (byte)hello.WireVersion : ProtocolSerializer.WireVersion);
            switch (obj)
            {
                case NodeHello m:
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(m.Link));
                    w.Write(m.Clients.Length);
                    foreach (var id in m.Clients)
                    {
                        w.Write(id.Value);
                    }

                    w.Write(m.Layout is not null);
                    if (m.Layout is not null)
                    {
                        ProtocolSerializer.WriteLayout(w, m.Layout);
                    }

                    w.Write(m.Proof is not null);
                    if (m.Proof is { } proof)
                    {
                        WriteBytes(w, proof.Certificate.Span);
                        WriteBytes(w, proof.Nonce.Span);
                        WriteBytes(w, proof.Signature.Span);
                    }

                    break;
                case NodeChallenge m:
                    WriteBytes(w, m.Nonce.Span);
                    break;
                case NodeWelcome m:
                    w.Write(m.BulkPort);
                    WriteBytes(w, m.BulkToken.Span);
                    break;
                case NodeRefused m:
                    w.Write(m.Reason);
                    break;
                case RunEnded m:
                    w.Write(m.Succeeded);
                    w.Write(m.Detail);
                    break;
                case RunInterrupted m:
                    w.Write(m.Detail);
                    break;
                case NodeLeaving m:
                    w.Write(Akka.Serialization.Serialization.SerializedActorPath(m.Link));
                    break;
                case NodeLeft:
                    break;
                case Chunk m:
                    w.Write(m.Transfer.ToByteArray());
                    w.Write(m.Client.Value);
                    w.Write(m.Manifest);
                    WritePiece(w, m.Index, m.Count, m.Checksum, m.Data.Span);
                    break;
                case ModelChunk m:
                    w.Write(m.Model.ToByteArray());
                    WritePiece(w, m.Index, m.Count, m.Checksum, m.Data.Span);
                    break;
                case SharedRequest m:
                    w.Write(m.Transfer.ToByteArray());
                    w.Write(m.Client.Value);
                    w.Write(m.Manifest);
                    w.Write(m.Model.ToByteArray());
                    w.Write(m.Checksum);
                    w.Write(m.Before.Length);
                    w.Write(m.Before.Span);
                    w.Write(m.After.Length);
                    w.Write(m.After.Span);
                    break;
                case ChunksReceived m:
                    w.Write(m.Node.Value);
                    w.Write(m.Count);
                    break;
                case RequestLost m:
                    w.Write(m.Client.Value);
                    w.Write(m.Model.ToByteArray());
                    w.Write(m.Reason);
                    break;
                default:
                    throw new ArgumentException($"{nameof(ClusterSerializer)} cannot serialize {obj.GetType()}", nameof(obj));
            }
        }

        var buffer = stream.GetBuffer();
        return buffer.Length == stream.Length ? buffer : stream.ToArray();
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        var name = manifest switch
        {
            HelloManifest => nameof(NodeHello),
            WelcomeManifest => nameof(NodeWelcome),
            RefusedManifest => nameof(NodeRefused),
            RunEndedManifest => nameof(RunEnded),
            ChunkManifest => nameof(Chunk),
            ChallengeManifest => nameof(NodeChallenge),
            InterruptedManifest => nameof(RunInterrupted),
            LeavingManifest => nameof(NodeLeaving),
            LeftManifest => nameof(NodeLeft),
            ModelChunkManifest => nameof(ModelChunk),
            SharedRequestManifest => nameof(SharedRequest),
            ChunksReceivedManifest => nameof(ChunksReceived),
            RequestLostManifest => nameof(RequestLost),
            _ => throw new SerializationException($"FedActors cluster protocol: unknown manifest '{manifest}' ({bytes.Length} bytes)"),
        };

        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, writable: false));
            var version = r.ReadByte();
            if (manifest == HelloManifest)
            {
                return ReadHello(r, version, bytes.Length);
            }

            if (manifest == RefusedManifest)
            {
                return Whole(r, new NodeRefused(r.ReadString()), name, bytes.Length);
            }

            if (version != ProtocolSerializer.WireVersion)
            {
                throw new SerializationException(
                    $"FedActors cluster protocol: {name} is of wire version {version}, but this node speaks version {ProtocolSerializer.WireVersion}: run the same FedActors version on every node");
            }

            object message = manifest switch
            {
                WelcomeManifest => ReadWelcome(r),
                RunEndedManifest => new RunEnded(r.ReadBoolean(), r.ReadString()),
                ChallengeManifest => new NodeChallenge(ReadBytes(r, Security.NodeIdentity.NonceLength)),
                InterruptedManifest => new RunInterrupted(r.ReadString()),
                LeavingManifest => new NodeLeaving(_system.Provider.ResolveActorRef(r.ReadString())),
                LeftManifest => NodeLeft.Instance,
                ModelChunkManifest => new ModelChunk(new Guid(r.ReadBytes(16)), r.ReadInt32(), r.ReadInt32(), r.ReadUInt32(), ReadBlock(r, bytes)),
                SharedRequestManifest => new SharedRequest(new Guid(r.ReadBytes(16)), new ClientId(r.ReadString()), r.ReadString(), new Guid(r.ReadBytes(16)), r.ReadUInt32(), ReadBlock(r, bytes), ReadBlock(r, bytes)),
                ChunksReceivedManifest => new ChunksReceived(new ClientId(r.ReadString()), r.ReadInt32()),
                RequestLostManifest => new RequestLost(new ClientId(r.ReadString()), new Guid(r.ReadBytes(16)), r.ReadString()),
                _ => ReadChunk(r, bytes),
            };
            return Whole(r, message, name, bytes.Length);
        }
        catch (EndOfStreamException)
        {
            throw new SerializationException($"FedActors cluster protocol: {name} payload is truncated ({bytes.Length} bytes)");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException)
        {
            throw new SerializationException($"FedActors cluster protocol: {name} payload is malformed: {e.Message}", e);
        }
    }

    private object ReadHello(BinaryReader r, byte version, int length)
    {
        var link = _system.Provider.ResolveActorRef(r.ReadString());
        if (version != ProtocolSerializer.WireVersion)
        {
            // The rest may be laid out otherwise: the version and the link are all the server needs to refuse the node.
            return new NodeHello(version, link, [], null);
        }

        var count = r.ReadInt32();
        if (count < 0 || count > MaxClients)
        {
            throw new InvalidDataException($"client count is {count}, outside 0..{MaxClients}");
        }

        var clients = ImmutableArray.CreateBuilder<ClientId>(count);
        for (var i = 0; i < count; i++)
        {
            clients.Add(new ClientId(r.ReadString()));
        }

        var layout = r.ReadBoolean() ? ProtocolSerializer.ReadLayout(r) : null;
        var proof = r.ReadBoolean() ? new NodeProof(ReadBytes(r, MaxCertificateBytes), ReadBytes(r, Security.NodeIdentity.NonceLength), ReadBytes(r, MaxSignatureBytes)) : null;
        return Whole(r, new NodeHello(version, link, clients.MoveToImmutable(), layout, proof), nameof(NodeHello), length);
    }

    private static NodeWelcome ReadWelcome(BinaryReader r)
    {
        var port = r.ReadInt32();
        var token = ReadBytes(r, Transfers.BulkConnection.TokenLength);
        if (port is < 0 or > 65535)
        {
            throw new InvalidDataException($"bulk port is {port}, outside 0..65535");
        }

        return port == 0 && token.Length == 0 ? NodeWelcome.Instance : new NodeWelcome(port, token);
    }

    private static void WriteBytes(BinaryWriter w, ReadOnlySpan<byte> bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r, int max)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > max)
        {
            throw new InvalidDataException($"a byte field's length is {length}, outside 0..{max}");
        }

        var data = r.ReadBytes(length);
        return data.Length == length ? data : throw new EndOfStreamException();
    }

    private static Chunk ReadChunk(BinaryReader r, byte[] bytes)
    {
        var transfer = new Guid(r.ReadBytes(16));
        var client = new ClientId(r.ReadString());
        var manifest = r.ReadString();
        int index = r.ReadInt32(), count = r.ReadInt32();
        var checksum = r.ReadUInt32();
        return new Chunk(transfer, client, manifest, index, count, checksum, ReadBlock(r, bytes));
    }

    private static void WritePiece(BinaryWriter w, int index, int count, uint checksum, ReadOnlySpan<byte> data)
    {
        w.Write(index);
        w.Write(count);
        w.Write(checksum);
        w.Write(data.Length);
        w.Write(data);
    }

    // A length-prefixed block of at most a chunk's bytes: a slice of the payload, not a copy.
    private static ReadOnlyMemory<byte> ReadBlock(BinaryReader r, byte[] bytes)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > MaxChunkBytes)
        {
            throw new InvalidDataException($"chunk length is {length}, outside 0..{MaxChunkBytes}");
        }

        var at = (int)r.BaseStream.Position;
        if (bytes.Length - at < length)
        {
            throw new EndOfStreamException();
        }

        r.BaseStream.Position = at + length;
        return new ReadOnlyMemory<byte>(bytes, at, length);
    }

    // A string's size as BinaryWriter writes it: a 7-bit-encoded length, then UTF-8.
    private static int Sized(string value)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(value);
        var prefix = 1;
        for (var v = (uint)length; v >= 0x80; v >>= 7)
        {
            prefix++;
        }

        return prefix + length;
    }

    private static object Whole(BinaryReader r, object message, string name, int length) =>
        r.BaseStream.Position == length
            ? message
            : throw new SerializationException($"FedActors cluster protocol: {name} payload has {length - r.BaseStream.Position} unexpected trailing bytes");
}
