using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class ShardPartitionerTests : PartitionerContractTests
{
    [Fact]
    public void Partition_WhenTwoShardsPerClient_GivesEachClientAtMostFourLabels()
    {
        // given
        var partitioner = new ShardPartitioner(shardsPerClient: 2, seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, 10);

        // then
        Assert.All(shards, shard => Assert.InRange(DistinctLabels(shard, BalancedLabels), 1, 4));
        Assert.All(shards, shard => Assert.Equal(200, shard.Length));
    }

    [Fact]
    public void Partition_WhenShardsAreLabelSized_GivesEachClientAtMostKLabels()
    {
        // given
        var partitioner = new ShardPartitioner(shardsPerClient: 1, seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, 10);

        // then
        Assert.All(shards, shard => Assert.Equal(1, DistinctLabels(shard, BalancedLabels)));
    }

    [Fact]
    public void Partition_WhenMoreShardsThanSamples_Throws()
    {
        // given
        var partitioner = new ShardPartitioner(shardsPerClient: 3, seed: 1);

        // when
        // then
        Assert.Throws<ArgumentException>(() => partitioner.Partition(BalancedLabels.AsSpan(0, 20), 10));
    }

    [Fact]
    public void Constructor_WhenNoShardsPerClient_ThrowsNamingTheArgument()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardPartitioner(shardsPerClient: 0, seed: 1));

        // then
        Assert.Equal("shardsPerClient", error.ParamName);
    }

    protected override IPartitioner Create(int seed) => new ShardPartitioner(shardsPerClient: 2, seed);
}
