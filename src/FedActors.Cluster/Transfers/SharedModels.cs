using System.Runtime.CompilerServices;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// The global models in flight, each encoded once and cut into checksummed chunk-sized pieces
/// once, however many clients it is sent to: a round's requests share the coordinator's one
/// <see cref="Parameters"/> instance, and every request's chunks reuse its pieces (slices of one
/// array). An entry lives as long as its model does.
/// </summary>
/// <param name="chunkSize">The largest piece, in bytes.</param>
internal sealed class SharedModels(int chunkSize)
{
    private readonly ConditionalWeakTable<Parameters, EncodedModel> _encoded = new();
    private readonly Lock _lock = new();

    /// <summary>How many times a model was encoded; for tests.</summary>
    public int Encodings { get; private set; }

    /// <summary>The pieces of <paramref name="global"/>'s encoding, made on first use.</summary>
    public IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)> PiecesOf(Parameters global)
    {
        // Stand-ins ask at once when a round starts: the first encodes, the others wait for its pieces.
        lock (_lock)
        {
            return _encoded.GetValue(global, Encode).Pieces;
        }
    }

    private EncodedModel Encode(Parameters global)
    {
        Encodings++;
        var pieces = Chunking.Pieces(Core.Serialization.ProtocolSerializer.EncodeParameters(global), chunkSize).ToList();
        return new EncodedModel(pieces);
    }

    private sealed record EncodedModel(IReadOnlyList<(ReadOnlyMemory<byte> Data, uint Checksum)> Pieces);
}
