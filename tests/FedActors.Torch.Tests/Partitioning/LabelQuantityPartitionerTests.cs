using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class LabelQuantityPartitionerTests : PartitionerContractTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(10)]
    public void Partition_WhenKLabelsPerClient_GivesEachClientExactlyKLabels(int k)
    {
        // given
        var partitioner = new LabelQuantityPartitioner(labelsPerClient: k, seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, Clients);

        // then
        Assert.All(shards, shard => Assert.Equal(k, DistinctLabels(shard, BalancedLabels)));
        Assert.All(Enumerable.Range(0, Clients), i => Assert.Contains(shards[i], s => BalancedLabels[s] == i % 10));
    }

    [Fact]
    public void Partition_WhenFewerClientsThanLabels_LeavesOutOnlyUnheldLabels()
    {
        // given
        var partitioner = new LabelQuantityPartitioner(labelsPerClient: 1, seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, 3);

        // then
        Assert.Equal(600, shards.Sum(s => s.Length));
        Assert.All(shards.SelectMany(s => s), i => Assert.InRange(BalancedLabels[i], 0, 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(11)]
    public void Constructor_WhenKIsOutside1To10_ThrowsNamingTheArgument(int k)
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new LabelQuantityPartitioner(k, seed: 1));

        // then
        Assert.Equal("labelsPerClient", error.ParamName);
    }

    protected override IPartitioner Create(int seed) => new LabelQuantityPartitioner(labelsPerClient: 2, seed);
}
