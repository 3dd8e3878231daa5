using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Strategies;

public sealed class FedMedianTests : RobustStrategyContractTests
{
    protected override string Hocon => "fedactors.strategy.name = fedmedian";

    protected override string ExpectedName => "fedmedian";

    protected override int ExpectedMinimumUpdates => 1;

    [Fact]
    public void Aggregate_WithAnOddCount_TakesEachCoordinatesMiddleValue()
    {
        // given three updates whose coordinates are each ordered differently
        var updates = new[]
        {
            Update(0, 1, 5, -2, 0, 10, 3),
            Update(1, 2, 4, -1, 0, -10, 3),
            Update(2, 9, 6, -3, 7, 0, 3),
        };

        // when the median is taken
        var result = Aggregate(new FedMedian(), updates);

        // then each coordinate is its second smallest value, e.g. med{1, 2, 9} = 2
        Assert.Equal([2f, 5f, -2f, 0f, 0f, 3f], result.Values.ToArray());
        Assert.Equal(NaiveRobustRules.Median(ValuesOf(updates)), result.Values.ToArray());
    }

    [Fact]
    public void Aggregate_WithAnEvenCount_AveragesTheTwoMiddleValues()
    {
        // given four updates
        var updates = new[]
        {
            Update(0, 1, 5, -2, 0, 10, 3),
            Update(1, 2, 4, -1, 0, -10, 3),
            Update(2, 9, 6, -3, 7, 0, 3),
            Update(3, 4, 0, 8, -7, 1, 1),
        };

        // when the median is taken
        var result = Aggregate(new FedMedian(), updates);

        // then each coordinate is the mean of its 2nd and 3rd smallest values, e.g. {1, 2, 4, 9} gives (2 + 4) / 2 = 3
        Assert.Equal([3f, 4.5f, -1.5f, 0f, 0.5f, 3f], result.Values.ToArray());
        Assert.Equal(NaiveRobustRules.Median(ValuesOf(updates)), result.Values.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(33)]
    public void Aggregate_OnSeededUpdatesOverSeveralBlocks_EqualsTheNaiveMedianExactly(int n)
    {
        // given n seeded updates of 10,007 values with many ties
        var updates = RandomUpdates(seed: n, n, Wide);

        // when the median is taken
        var result = Aggregate(new FedMedian(), updates, Parameters.Zeros(Wide));

        // then every coordinate is the sorted-list median, to the bit
        Assert.Equal(NaiveRobustRules.Median(ValuesOf(updates)), result.Values.ToArray());
    }

    [Fact]
    public void Aggregate_WhenOneClientSendsHugeValues_KeepsTheOthersRange()
    {
        // given two agreeing clients and one that sends 1e30 everywhere
        var updates = new[] { Update(0, 1, 1, 1, 1, 1, 1), Update(1, 2, 2, 2, 2, 2, 2), Update(2, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f, 1e30f) };

        // when the median is taken
        var result = Aggregate(new FedMedian(), updates);

        // then the outlier moves nothing beyond the honest values
        Assert.All(result.Values.ToArray(), v => Assert.Equal(2f, v));
    }
}
