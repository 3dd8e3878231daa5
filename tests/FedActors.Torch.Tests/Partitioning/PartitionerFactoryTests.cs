using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class PartitionerFactoryTests
{
    [Fact]
    public void Create_WhenGivenEachConfigName_ReturnsTheMatchingPartitioner()
    {
        // given
        var expected = new[] { typeof(IidPartitioner), typeof(DirichletPartitioner), typeof(ShardPartitioner), typeof(LabelQuantityPartitioner), typeof(QuantitySkewPartitioner) };

        // when
        var created = PartitionerFactory.SchemeNames.Select(name => PartitionerFactory.Create(name, seed: 1).GetType());

        // then
        Assert.Equal(expected, created);
    }

    [Fact]
    public void Create_WhenSchemeIsUnknown_ThrowsListingValidSchemes()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentException>(() => PartitionerFactory.Create("pathological", seed: 1));

        // then
        Assert.Contains("pathological", error.Message);
        Assert.Contains("iid, dirichlet, shards, label-quantity, quantity-skew", error.Message);
    }
}
