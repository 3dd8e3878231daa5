namespace FedActors.Torch.Partitioning;

/// <summary>
/// The IID baseline (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks
/// from Decentralized Data", arXiv:1602.05629): the samples are shuffled and cut into
/// <c>clientCount</c> shards of equal size (sizes differ by at most one), so every client
/// sees roughly the global label distribution.
/// </summary>
public sealed class IidPartitioner : IPartitioner
{
    private readonly int _seed;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="seed">Seed of the shuffle.</param>
    public IidPartitioner(int seed) => _seed = seed;

    /// <inheritdoc />
    public int[][] Partition(ReadOnlySpan<byte> labels, int clientCount)
    {
        PartitionMath.ValidateClientCount(clientCount, labels.Length);
        var order = PartitionMath.Permutation(labels.Length, new Random(_seed));
        var clients = PartitionMath.EmptyClients(clientCount);
        PartitionMath.Deal(order, PartitionMath.EqualSizes(labels.Length, clientCount), clients);
        return PartitionMath.Sorted(clients, "iid");
    }
}
