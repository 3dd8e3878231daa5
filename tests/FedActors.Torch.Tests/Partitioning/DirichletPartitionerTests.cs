using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class DirichletPartitionerTests : PartitionerContractTests
{
    [Fact]
    public void Partition_WhenAlphaIsSmall_IsFarMoreSkewedThanIid()
    {
        // given
        var dirichlet = new DirichletPartitioner(alpha: 0.1, seed: 1);
        var iid = new IidPartitioner(seed: 1);

        // when
        var skewed = MeanLabelDistance(dirichlet.Partition(BalancedLabels, 10), BalancedLabels);
        var uniform = MeanLabelDistance(iid.Partition(BalancedLabels, 10), BalancedLabels);

        // then
        Assert.True(skewed > uniform + 0.4, $"Dir(0.1) mean label distance {skewed:F3}, IID {uniform:F3}");
    }

    [Fact]
    public void Partition_WhenAlphaIsTinyAndClientsMany_StillGivesEveryClientASample()
    {
        // given
        var partitioner = new DirichletPartitioner(alpha: 0.001, seed: 2);

        // when
        var shards = partitioner.Partition(BalancedLabels.AsSpan(0, 60), 50);

        // then
        Assert.All(shards, shard => Assert.NotEmpty(shard));
        Assert.Equal(Enumerable.Range(0, 60), shards.SelectMany(s => s).Order());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_WhenAlphaIsNotPositive_ThrowsNamingAlpha(double alpha)
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new DirichletPartitioner(alpha, seed: 1));

        // then
        Assert.Equal("alpha", error.ParamName);
    }

    protected override IPartitioner Create(int seed) => new DirichletPartitioner(alpha: 0.5, seed);
}
