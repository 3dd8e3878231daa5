using System.IO.Hashing;
using Akka.Actor;
using Akka.Serialization;
using FedActors.Cluster.Protocol;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// Turns a protocol message into the chunks that carry it between nodes, and back: the message is
/// serialized once by the protocol's serializer, and its bytes are cut into slices of at most the
/// chunk size without copying them.
/// </summary>
internal static class Chunking
{
    /// <summary>The chunks of <paramref name="message"/>, to or from <paramref name="client"/>.</summary>
    public static IReadOnlyList<Chunk> Split(ActorSystem system, ClientId client, IFedActorsMessage message, int chunkSize)
    {
        var serializer = (SerializerWithStringManifest)system.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        return Split(Guid.NewGuid(), client, serializer.Manifest(message), bytes, chunkSize);
    }

    /// <summary>
    /// The chunks of a request to <paramref name="client"/>: when it carries the global model, its
    /// own bytes before and after the model are encoded here and the model's pieces come from
    /// <paramref name="models"/>, encoded once for every recipient; otherwise as <see cref="Split(ActorSystem, ClientId, IFedActorsMessage, int)"/>.
    /// The receiver cannot tell the difference: the chunks concatenate to the same payload.
    /// </summary>
    public static IReadOnlyList<Chunk> SplitRequest(ActorSystem system, ClientId client, IFedActorsMessage message, int chunkSize, SharedModels models)
    {
        if (!Core.Serialization.ProtocolSerializer.TrySplitAroundGlobal(message, out var global, out var before, out var after))
        {
            return Split(system, client, message, chunkSize);
        }

        var manifest = ((SerializerWithStringManifest)system.Serialization.FindSerializerFor(message)).Manifest(message);
        var pieces = Pieces(before, chunkSize).Concat(models.PiecesOf(global)).Concat(Pieces(after, chunkSize)).ToList();
        var transfer = Guid.NewGuid();
        return [.. pieces.Select((p, i) => new Chunk(transfer, client, manifest, i, pieces.Count, p.Checksum, p.Data))];
    }

    /// <summary>The chunks of an already serialized message (one empty chunk for no bytes).</summary>
    public static IReadOnlyList<Chunk> Split(Guid transfer, ClientId client, string manifest, byte[] bytes, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var pieces = bytes.Length == 0 ? [(ReadOnlyMemory<byte>.Empty, Crc32.HashToUInt32([]))] : Pieces(bytes, chunkSize).ToList();
        return [.. pieces.Select((p, i) => new Chunk(transfer, client, manifest, i, pieces.Count, p.Checksum, p.Data))];
    }

    /// <summary>Slices of at most <paramref name="chunkSize"/> bytes over <paramref name="bytes"/>, each with its CRC-32; none for no bytes.</summary>
    public static IEnumerable<(ReadOnlyMemory<byte> Data, uint Checksum)> Pieces(byte[] bytes, int chunkSize)
    {
        for (var start = 0; start < bytes.Length; start += chunkSize)
        {
            var piece = new ReadOnlyMemory<byte>(bytes, start, Math.Min(chunkSize, bytes.Length - start));
            yield return (piece, Crc32.HashToUInt32(piece.Span));
        }
    }

    /// <summary>Reads a reassembled message with the protocol's serializer.</summary>
    /// <exception cref="System.Runtime.Serialization.SerializationException">The bytes are not a message of that manifest (or of this wire version).</exception>
    public static IFedActorsMessage Read(ActorSystem system, string manifest, byte[] bytes)
    {
        var serializer = (SerializerWithStringManifest)system.Serialization.FindSerializerForType(typeof(IFedActorsMessage));
        return (IFedActorsMessage)serializer.FromBinary(bytes, manifest);
    }
}
