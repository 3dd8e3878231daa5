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

    /// <summary>The chunks of an already serialized message.</summary>
    public static IReadOnlyList<Chunk> Split(Guid transfer, ClientId client, string manifest, byte[] bytes, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var count = Math.Max(1, (bytes.Length + chunkSize - 1) / chunkSize);
        var chunks = new Chunk[count];
        for (var i = 0; i < count; i++)
        {
            var start = i * chunkSize;
            var data = new ReadOnlyMemory<byte>(bytes, start, Math.Min(chunkSize, bytes.Length - start));
            chunks[i] = new Chunk(transfer, client, manifest, i, count, Crc32.HashToUInt32(data.Span), data);
        }

        return chunks;
    }

    /// <summary>Reads a reassembled message with the protocol's serializer.</summary>
    /// <exception cref="System.Runtime.Serialization.SerializationException">The bytes are not a message of that manifest (or of this wire version).</exception>
    public static IFedActorsMessage Read(ActorSystem system, string manifest, byte[] bytes)
    {
        var serializer = (SerializerWithStringManifest)system.Serialization.FindSerializerForType(typeof(IFedActorsMessage));
        return (IFedActorsMessage)serializer.FromBinary(bytes, manifest);
    }
}
