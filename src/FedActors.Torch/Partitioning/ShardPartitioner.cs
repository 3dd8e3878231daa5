namespace FedActors.Torch.Partitioning;

/// <summary>
/// The FedAvg paper's pathological non-IID split (McMahan et al. 2017,
/// "Communication-Efficient Learning of Deep Networks from Decentralized Data", arXiv:1602.05629):
/// with 100 clients and 2 shards each, most clients see only two digits.
/// </summary>
/// <remarks>
/// Rule: sort the samples by label (ties by index), cut them into clientCount x k shards of
/// equal size (sizes differ by at most one), shuffle the shards, and deal k of them to each
/// client. A shard spans at most two labels when every label has at least a shard's worth of
/// samples, so a client then holds at most 2k labels.
/// </remarks>
public sealed class ShardPartitioner : IPartitioner
{
    private readonly int _shardsPerClient;
    private readonly int _seed;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="shardsPerClient">Shards per client, k &gt;= 1 (the paper uses 2).</param>
    /// <param name="seed">Seed of the shard shuffle.</param>
    public ShardPartitioner(int shardsPerClient, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardsPerClient, 1);
        _shardsPerClient = shardsPerClient;
        _seed = seed;
    }

    /// <inheritdoc />
    public int[][] Partition(ReadOnlySpan<byte> labels, int clientCount)
    {
        PartitionMath.ValidateClientCount(clientCount, labels.Length);
        var shardCount = (long)clientCount * _shardsPerClient;
        if (shardCount > labels.Length)
        {
            throw new ArgumentException($"{clientCount} clients x {_shardsPerClient} shards need {shardCount} shards, more than the {labels.Length} samples", nameof(clientCount));
        }

        var sortedByLabel = PartitionMath.IndicesByLabel(labels).SelectMany(indices => indices).ToArray();
        var shardSizes = PartitionMath.EqualSizes(labels.Length, (int)shardCount);
        var shardStarts = new int[shardCount];
        for (var s = 1; s < shardCount; s++)
        {
            shardStarts[s] = shardStarts[s - 1] + shardSizes[s - 1];
        }

        var shardOrder = PartitionMath.Permutation((int)shardCount, new Random(_seed));
        var clients = PartitionMath.EmptyClients(clientCount);
        for (var i = 0; i < shardOrder.Length; i++)
        {
            var shard = shardOrder[i];
            clients[i / _shardsPerClient].AddRange(sortedByLabel.AsSpan(shardStarts[shard], shardSizes[shard]));
        }

        return PartitionMath.Sorted(clients, "shards");
    }
}
