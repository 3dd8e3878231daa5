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
        var pieces = Chunking.Pieces(Core.Serialization.ProtocolSerializer.EncodeParameters(global), chunkSize).ToList();
        return new EncodedModel(Guid.NewGuid(), pieces);
    }
}

/// <summary>A global model encoded once: its id and its checksummed pieces.</summary>
/// <param name="Id">The id nodes keep it by.</param>
/// <param name="Pieces">Slices of one encoding, each with its CRC-32.</param>
internal sealed record EncodedModel(Guid Id, IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)> Pieces)
{
    /// <summary>The encoding's length in bytes.</summary>
    public long Length => Pieces.Sum(p => (long)p.Data.Length);
}
