using FedActors.Torch.Partitioning;

namespace FedActors.Torch.Tests.Partitioning;

public sealed class QuantitySkewPartitionerTests : PartitionerContractTests
{
    [Fact]
    public void Partition_WhenAlphaIsSmall_SizesVaryFarMoreThanWhenLarge()
    {
        // given
        var skewed = new QuantitySkewPartitioner(alpha: 0.1, seed: 1);
        var even = new QuantitySkewPartitioner(alpha: 1000, seed: 1);

        // when
        var skewedSizes = skewed.Partition(BalancedLabels, 10).Select(s => s.Length).ToArray();
        var evenSizes = even.Partition(BalancedLabels, 10).Select(s => s.Length).ToArray();

        // then
        Assert.True(skewedSizes.Max() > 4 * skewedSizes.Min(), $"alpha 0.1 sizes {string.Join(", ", skewedSizes)}");
        Assert.True(evenSizes.Max() < 1.5 * evenSizes.Min(), $"alpha 1000 sizes {string.Join(", ", evenSizes)}");
    }

    [Fact]
    public void Constructor_WhenAlphaIsZero_ThrowsNamingAlpha()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new QuantitySkewPartitioner(alpha: 0, seed: 1));

        // then
        Assert.Equal("alpha", error.ParamName);
    }

    protected override IPartitioner Create(int seed) => new QuantitySkewPartitioner(alpha: 0.5, seed);
}
