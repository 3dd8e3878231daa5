using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Transfers;

/// <summary>What a <see cref="BulkFrame"/> carries.</summary>
internal enum BulkKind : byte
{
    /// <summary>A protocol message (the protocol serializer's bytes) to or from one client; header: the client, the manifest, the transfer id.</summary>
    Message = 1,

    /// <summary>A round's global model (<c>ProtocolSerializer.EncodeParameters</c>'s bytes), once per node; header: the model id.</summary>
    Model = 2,

    /// <summary>A small cluster-protocol message (a <c>SharedRequest</c>), by the cluster serializer; header: its manifest.</summary>
    NodeMessage = 3,
}

/// <summary>
/// One frame of the bulk channel (<see cref="BulkConnection"/>). On the wire: the kind (1 byte),
/// the header's length (int32) and the header, the payload's length (int32), the payload's
/// CRC-32 (uint32), the payload; little-endian. The lengths are checked against a bound before
/// anything is allocated for them.
/// </summary>
/// <param name="Kind">What the frame carries.</param>
/// <param name="Header">Who and what it is for (see <see cref="BulkKind"/>).</param>
/// <param name="Payload">The bytes.</param>
internal sealed record BulkFrame(BulkKind Kind, byte[] Header, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The largest header: two ids and a manifest.</summary>
    public const int MaxHeaderBytes = 4096;

    /// <summary>What the sender would send another way if the frame never leaves: not on the wire.</summary>
    public object? Origin { get; init; }

    /// <summary>What holds the payload's buffer (a rented one), disposed once the frame is on the wire or will never be; null for none.</summary>
    public IDisposable? Owner { get; init; }

    /// <summary>Why a received frame cannot be used (its CRC-32 disagrees); null when it can.</summary>
    public string? Damage { get; init; }

    /// <summary>
    /// The largest payload a node accepts for a model of <paramref name="layout"/>: an update with
    /// a few model-sized extras (SCAFFOLD's control variate, a strategy's state), 8 models' worth,
    /// and 1 MiB for names and metrics. Bounds what a hostile length can make the receiver allocate.
    /// </summary>
    public static long MaxPayload(ParameterLayout layout) => (8L * layout.TotalLength * sizeof(float)) + (1 << 20);

    /// <summary>A protocol message to or from <paramref name="client"/>.</summary>
    public static BulkFrame Message(ClientId client, string manifest, Guid transfer, ReadOnlyMemory<byte> payload) =>
        new(BulkKind.Message, EncodeHeader(w =>
        {
            w.Write(client.Value);
            w.Write(manifest);
            w.Write(transfer.ToByteArray());
        }), payload);

    /// <summary>The encoding of global model <paramref name="id"/>.</summary>
    public static BulkFrame Model(Guid id, ReadOnlyMemory<byte> encoding) => new(BulkKind.Model, id.ToByteArray(), encoding);

    /// <summary>A cluster-protocol message, as the cluster serializer wrote it under <paramref name="manifest"/>.</summary>
    public static BulkFrame NodeMessage(string manifest, byte[] payload) => new(BulkKind.NodeMessage, EncodeHeader(w => w.Write(manifest)), payload);

    /// <summary>A <see cref="BulkKind.Message"/> frame's header.</summary>
    /// <exception cref="InvalidDataException">The header is not one.</exception>
    public (ClientId Client, string Manifest, Guid Transfer) MessageHeader() => Read(r => (new ClientId(r.ReadString()), r.ReadString(), new Guid(r.ReadBytes(16))));

    /// <summary>
    /// A received <see cref="BulkKind.Message"/> frame's client and message, read with
    /// <paramref name="protocol"/> while the payload is valid (see <see cref="BulkConnection.Start"/>);
    /// or that client and why its message cannot be used (corrupted, unreadable).
    /// </summary>
    /// <exception cref="InvalidDataException">The header is not a message frame's: no client is known.</exception>
    public (ClientId Client, IFedActorsMessage? Message, string? Failure) ReadMessage(Core.Serialization.ProtocolSerializer protocol)
    {
        var (client, manifest, _) = MessageHeader();
        if (Damage is { } damage)
        {
            return (client, null, $"{Describe()} is corrupted: {damage}");
        }

        try
        {
            return (client, (IFedActorsMessage)protocol.FromMemory(Payload, manifest), null);
        }
        catch (System.Runtime.Serialization.SerializationException e)
        {
            return (client, null, $"{Describe()} is unreadable: {e.Message}");
        }
    }

    /// <summary>A <see cref="BulkKind.Model"/> frame's model id.</summary>
    /// <exception cref="InvalidDataException">The header is not one.</exception>
    public Guid ModelId() => Header.Length == 16 ? new Guid(Header) : throw new InvalidDataException($"a model frame's header is {Header.Length} bytes, not a 16-byte id");

    /// <summary>A <see cref="BulkKind.NodeMessage"/> frame's manifest.</summary>
    /// <exception cref="InvalidDataException">The header is not one.</exception>
    public string NodeManifest() => Read(r => r.ReadString());

    /// <summary>What the frame is, for a log line.</summary>
    public string Describe()
    {
        try
        {
            return Kind switch
            {
                BulkKind.Message => $"a message for client {MessageHeader().Client} ({Payload.Length:N0} bytes)",
                BulkKind.Model => $"model {ModelId()} ({Payload.Length:N0} bytes)",
                _ => $"a {NodeManifest()} message ({Payload.Length:N0} bytes)",
            };
        }
        catch (InvalidDataException e)
        {
            return $"a {Kind} frame with an unreadable header ({e.Message})";
        }
    }

    private static byte[] EncodeHeader(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            write(w);
        }

        return stream.ToArray();
    }

    private T Read<T>(Func<BinaryReader, T> read)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(Header, writable: false));
            var value = read(r);
            return r.BaseStream.Position == Header.Length ? value : throw new InvalidDataException($"a {Kind} frame's header has {Header.Length - r.BaseStream.Position} trailing bytes");
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"a {Kind} frame's header is malformed: {e.Message}", e);
        }
    }
}
