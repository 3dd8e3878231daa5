using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class IidPartitionerTests : PartitionerContractTests
{
    [Fact]
    public void Partition_WhenSamplesDivideUnevenly_SizesDifferByAtMostOne()
    {
        // given
        var partitioner = new IidPartitioner(seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, 7);

        // then
        Assert.InRange(shards.Max(s => s.Length) - shards.Min(s => s.Length), 0, 1);
    }

    [Fact]
    public void Partition_WhenDone_IsCloseToTheGlobalLabelDistribution()
    {
        // given
        var partitioner = new IidPartitioner(seed: 1);

        // when
        var shards = partitioner.Partition(BalancedLabels, 10);

        // then
        Assert.InRange(MeanLabelDistance(shards, BalancedLabels), 0, 0.15);
    }

    protected override IPartitioner Create(int seed) => new IidPartitioner(seed);
}
