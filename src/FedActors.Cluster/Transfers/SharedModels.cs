using System.Runtime.CompilerServices;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// The global models in flight, each encoded once and cut into checksummed chunk-sized pieces
/// once, however many clients it is sent to: a round's requests share the coordinator's one
/// <see cref="Parameters"/> instance, and every request's chunks reuse its pieces (slices of one
/// array). An entry lives as long as its model does. Each model also gets an id, by which a client
/// node that was sent it once finds it again for each of its clients' requests.
/// </summary>
/// <param name="chunkSize">The largest piece, in bytes.</param>
internal sealed class SharedModels(int chunkSize)
{
    private readonly ConditionalWeakTable<Parameters, EncodedModel> _encoded = new();
    private readonly Lock _lock = new();

    /// <summary>How many times a model was encoded; for tests.</summary>
    public int Encodings { get; private set; }

    /// <summary>The pieces of <paramref name="global"/>'s encoding, made on first use.</summary>
    public IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)> PiecesOf(Parameters global) => Of(global).Pieces;

    /// <summary><paramref name="global"/>'s id and the pieces of its encoding, made on first use.</summary>
    public EncodedModel Of(Parameters global)
    {
        // Stand-ins and node outboxes ask at once when a round starts: the first encodes, the others wait for its pieces.
        lock (_lock)
        {
            return _encoded.GetValue(global, Encode);
        }
    }

    private EncodedModel Encode(Parameters global)
    {
        Encodings++;
        var bytes = Core.Serialization.ProtocolSerializer.EncodeParameters(global);
        return new EncodedModel(Guid.NewGuid(), new Lazy<IReadOnlyList<(ReadOnlyMemory<byte>, uint)>>(() => Chunking.Pieces(bytes, chunkSize).ToList()), bytes);
    }
}

/// <summary>A global model encoded once: its id, its checksummed pieces and the whole encoding they slice.</summary>
/// <param name="Id">The id nodes keep it by.</param>
/// <param name="Cut">Slices of <paramref name="Bytes"/>, each with its CRC-32, for the chunked path: cut the first time a node needs them (never, when every node has a bulk connection).</param>
/// <param name="Bytes">The whole encoding, for the bulk channel.</param>
internal sealed record EncodedModel(Guid Id, Lazy<IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)>> Cut, ReadOnlyMemory<byte> Bytes)
{
    /// <summary>Slices of the encoding, each with its CRC-32, for the chunked path.</summary>
    public IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)> Pieces => Cut.Value;

    /// <summary>The encoding's length in bytes.</summary>
    public long Length => Bytes.Length;
}
