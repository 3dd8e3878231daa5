namespace FedActors.Torch.Partitioning;

/// <summary>
/// Quantity skew of NIID-Bench (Li, Diao, Chen and He 2021, "Federated Learning on Non-IID
/// Data Silos: An Experimental Study", arXiv:2102.02079): labels are spread IID but the
/// clients' data set sizes differ, drawn from a Dirichlet distribution.
/// </summary>
/// <remarks>
/// Rule: draw q ~ Dir(alpha, ..., alpha) over the N clients, shuffle all samples, give every
/// client one sample, then cut the remaining n - N samples in proportions q. Small alpha gives
/// a few large clients and many tiny ones.
/// </remarks>
public sealed class QuantitySkewPartitioner : IPartitioner
{
    private readonly double _alpha;
    private readonly int _seed;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="alpha">Concentration of the size distribution, &gt; 0; small is skewed.</param>
    /// <param name="seed">Seed of the draw and the shuffle.</param>
    public QuantitySkewPartitioner(double alpha, int seed)
    {
        _alpha = PartitionMath.ValidateAlpha(alpha);
        _seed = seed;
    }

    /// <inheritdoc />
    public int[][] Partition(ReadOnlySpan<byte> labels, int clientCount)
    {
        PartitionMath.ValidateClientCount(clientCount, labels.Length);
        var random = new Random(_seed);
        var order = PartitionMath.Permutation(labels.Length, random);
        var proportions = DirichletSampling.Symmetric(random, _alpha, clientCount);
        var sizes = PartitionMath.ProportionalSizes(labels.Length - clientCount, proportions);
        for (var c = 0; c < sizes.Length; c++)
        {
            sizes[c]++;
        }

        var clients = PartitionMath.EmptyClients(clientCount);
        PartitionMath.Deal(order, sizes, clients);
        return PartitionMath.Sorted(clients, "quantity-skew");
    }
}
