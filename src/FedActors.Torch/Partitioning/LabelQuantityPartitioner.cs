namespace FedActors.Torch.Partitioning;

/// <summary>
/// Quantity-based label imbalance, "#C=k" of NIID-Bench (Li, Diao, Chen and He 2021,
/// "Federated Learning on Non-IID Data Silos: An Experimental Study", arXiv:2102.02079):
/// each client holds samples of exactly k distinct labels.
/// </summary>
/// <remarks>
/// Rule: client i holds label i mod C (C = number of classes) plus k - 1 other distinct labels
/// drawn uniformly at random; then the shuffled samples of each label are split evenly among
/// the clients that hold it. As in NIID-Bench, samples of a label no client holds (possible
/// only with fewer than C clients) are left out of every shard.
/// </remarks>
public sealed class LabelQuantityPartitioner : IPartitioner
{
    private readonly int _labelsPerClient;
    private readonly int _seed;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="labelsPerClient">Distinct labels per client, k in 1..10.</param>
    /// <param name="seed">Seed of the label choice and the shuffles.</param>
    public LabelQuantityPartitioner(int labelsPerClient, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(labelsPerClient, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(labelsPerClient, 10);
        _labelsPerClient = labelsPerClient;
        _seed = seed;
    }

    /// <inheritdoc />
    public int[][] Partition(ReadOnlySpan<byte> labels, int clientCount)
    {
        PartitionMath.ValidateClientCount(clientCount, labels.Length);
        var byLabel = PartitionMath.IndicesByLabel(labels);
        if (_labelsPerClient > byLabel.Length)
        {
            throw new ArgumentException($"{_labelsPerClient} labels per client, but the data has only {byLabel.Length} classes", nameof(labels));
        }

        var random = new Random(_seed);
        var holders = new List<int>[byLabel.Length];
        for (var label = 0; label < holders.Length; label++)
        {
            holders[label] = [];
        }

        for (var client = 0; client < clientCount; client++)
        {
            var held = new HashSet<int> { client % byLabel.Length };
            while (held.Count < _labelsPerClient)
            {
                held.Add(random.Next(byLabel.Length));
            }

            foreach (var label in held)
            {
                holders[label].Add(client);
            }
        }

        var clients = PartitionMath.EmptyClients(clientCount);
        for (var label = 0; label < byLabel.Length; label++)
        {
            if (holders[label].Count == 0)
            {
                continue;
            }

            var shuffled = (int[])byLabel[label].Clone();
            random.Shuffle(shuffled);
            var sizes = PartitionMath.EqualSizes(shuffled.Length, holders[label].Count);
            var start = 0;
            for (var h = 0; h < holders[label].Count; h++)
            {
                clients[holders[label][h]].AddRange(shuffled.AsSpan(start, sizes[h]));
                start += sizes[h];
            }
        }

        return PartitionMath.Sorted(clients, "label-quantity");
    }
}
