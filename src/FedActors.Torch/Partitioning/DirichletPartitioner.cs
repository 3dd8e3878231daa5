namespace FedActors.Torch.Partitioning;

/// <summary>
/// Label skew by a Dirichlet distribution (Hsu, Qi and Brown 2019, "Measuring the Effects of
/// Non-Identical Data Distribution for Federated Visual Classification", arXiv:1909.06335;
/// Li et al. 2021, NIID-Bench, "Federated Learning on Non-IID Data Silos: An Experimental
/// Study", arXiv:2102.02079, p_k ~ Dir_N(beta)).
/// </summary>
/// <remarks>
/// Rule: for each label k, draw proportions p_k ~ Dir(alpha, ..., alpha) over the N clients,
/// shuffle the samples of label k, and give client j the next floor-rounded share p_k,j of
/// them. Small alpha (0.1) gives each client few labels; large alpha (100) is close to IID.
/// Every client is guaranteed at least one sample: the whole draw is repeated (up to
/// 100 times, as NIID-Bench repeats draws until a minimum size is met) while some client is
/// empty, and if every draw leaves one empty, each empty client takes one sample from the
/// currently largest client.
/// </remarks>
public sealed class DirichletPartitioner : IPartitioner
{
    private const int MaxDraws = 100;
    private readonly double _alpha;
    private readonly int _seed;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="alpha">Concentration, &gt; 0; small is skewed (0.1 is strongly skewed, 0.5 moderately).</param>
    /// <param name="seed">Seed of the draws and shuffles.</param>
    public DirichletPartitioner(double alpha, int seed)
    {
        _alpha = PartitionMath.ValidateAlpha(alpha);
        _seed = seed;
    }

    /// <inheritdoc />
    public int[][] Partition(ReadOnlySpan<byte> labels, int clientCount)
    {
        PartitionMath.ValidateClientCount(clientCount, labels.Length);
        var random = new Random(_seed);
        var byLabel = PartitionMath.IndicesByLabel(labels);
        List<int>[] clients = [];
        for (var draw = 0; draw < MaxDraws; draw++)
        {
            clients = PartitionMath.EmptyClients(clientCount);
            foreach (var indices in byLabel)
            {
                var shuffled = (int[])indices.Clone();
                random.Shuffle(shuffled);
                var proportions = DirichletSampling.Symmetric(random, _alpha, clientCount);
                PartitionMath.Deal(shuffled, PartitionMath.ProportionalSizes(shuffled.Length, proportions), clients);
            }

            if (clients.All(c => c.Count > 0))
            {
                return PartitionMath.Sorted(clients, "dirichlet");
            }
        }

        FillEmptyClients(clients);
        return PartitionMath.Sorted(clients, "dirichlet");
    }

    private static void FillEmptyClients(List<int>[] clients)
    {
        foreach (var empty in clients.Where(c => c.Count == 0))
        {
            // clientCount <= sample count, so the largest client holds at least two samples here.
            var largest = clients.MaxBy(c => c.Count)!;
            empty.Add(largest[^1]);
            largest.RemoveAt(largest.Count - 1);
        }
    }
}
