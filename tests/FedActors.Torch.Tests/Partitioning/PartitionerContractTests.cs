using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

/// <summary>What every partitioner promises; each partitioner's test class reruns these.</summary>
public abstract class PartitionerContractTests
{
    /// <summary>2,000 samples, 200 per label, in a scrambled order.</summary>
    protected static readonly byte[] BalancedLabels = ScrambledLabels(2000, seed: 5);

    /// <summary>Client count the contract runs with; at least 10 so that every label has a holder under #C=k.</summary>
    protected const int Clients = 20;

    /// <summary>The partitioner under test, with its default settings.</summary>
    protected abstract IPartitioner Create(int seed);

    [Fact]
    public void Partition_WhenDone_CoversEverySampleExactlyOnce()
    {
        // given
        var partitioner = Create(seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, Clients);

        // then
        Assert.Equal(Clients, shards.Length);
        Assert.All(shards, shard => Assert.NotEmpty(shard));
        Assert.All(shards, shard => Assert.Equal(shard.Order(), shard));
        Assert.Equal(Enumerable.Range(0, BalancedLabels.Length), shards.SelectMany(s => s).Order());
    }

    [Fact]
    public void Partition_WhenSeedIsTheSame_GivesTheSameSplit()
    {
        // given
        var first = Create(seed: 3);
        var second = Create(seed: 3);

        // when
        var a = first.Partition(BalancedLabels, Clients);
        var b = second.Partition(BalancedLabels, Clients);

        // then
        Assert.Equal(a, b);
    }

    [Fact]
    public void Partition_WhenSeedDiffers_GivesAnotherSplit()
    {
        // given
        var first = Create(seed: 3);
        var second = Create(seed: 4);

        // when
        var a = first.Partition(BalancedLabels, Clients);
        var b = second.Partition(BalancedLabels, Clients);

        // then
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Partition_WhenMoreClientsThanSamples_Throws()
    {
        // given
        var partitioner = Create(seed: 1);

        // when
        var error = Assert.Throws<ArgumentException>(() => partitioner.Partition(BalancedLabels.AsSpan(0, 5), 6));

        // then
        Assert.Equal("clientCount", error.ParamName);
    }

    [Fact]
    public void Partition_WhenNoClients_Throws()
    {
        // given
        var partitioner = Create(seed: 1);

        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => partitioner.Partition(BalancedLabels, 0));

        // then
        Assert.Equal("clientCount", error.ParamName);
    }

    /// <summary>Labels i mod 10, shuffled.</summary>
    protected static byte[] ScrambledLabels(int count, int seed)
    {
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        new Random(seed).Shuffle(labels);
        return labels;
    }

    /// <summary>The distinct labels of one client's shard.</summary>
    protected static int DistinctLabels(int[] shard, byte[] labels) => shard.Select(i => labels[i]).Distinct().Count();

    /// <summary>
    /// Mean over clients of the total variation distance between the client's label
    /// distribution and the global one: 0 for a perfectly IID split, near 1 for single-label clients.
    /// </summary>
    protected static double MeanLabelDistance(int[][] shards, byte[] labels)
    {
        var global = new double[10];
        foreach (var label in labels)
        {
            global[label] += 1.0 / labels.Length;
        }

        return shards.Average(shard =>
        {
            var local = new double[10];
            foreach (var i in shard)
            {
                local[labels[i]] += 1.0 / shard.Length;
            }

            return 0.5 * local.Zip(global, (l, g) => Math.Abs(l - g)).Sum();
        });
    }
}
