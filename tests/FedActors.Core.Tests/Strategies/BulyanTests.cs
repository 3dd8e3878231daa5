using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

public sealed class BulyanTests : RobustStrategyContractTests
{
    protected override string Hocon => "fedactors.strategy.name = bulyan";

    protected override string ExpectedName => "bulyan";

    // f = 1 by default: n >= 4f + 3 = 7.
    protected override int ExpectedMinimumUpdates => 7;

    [Fact]
    public void FromConfig_WithTheDefaults_ToleratesOne()
    {
        // when the catalog builds it from reference.conf
        var strategy = Assert.IsType<Bulyan>(Create());

        // then f = 1 and the rule names n >= 4f + 3 and the key
        Assert.Equal(1, strategy.F);
        Assert.Equal("n >= 4f + 3 = 7 updates with f = 1 ('fedactors.strategy.bulyan.f')", strategy.MinimumUpdatesRule);
    }

    [Fact]
    public void BulyanSelection_OnPointsOfALine_RunsKrumOnWhatRemainsFiveTimes()
    {
        // given seven updates on a line, c00..c06 at 0, 1, 2, 4, 7, 20 and -30, and f = 1 (θ = 5 steps):
        //   R of 7, 4 neighbours: c02 scores 1+4+4+25 = 34, lowest (c03 38, c01 47, c00 70)
        //   R of 6, 3 neighbours: c03 scores 9+9+16 = 34 (c01 46, c00 66)
        //   R of 5, 2 neighbours: c01 scores 1+36 = 37 (c00 50, c04 85)
        //   R of 4, 1 neighbour:  c00 and c04 both 49 (to each other); c00 comes first
        //   R of 3, 1 neighbour:  c04 and c05 both 13² = 169; c04 comes first
        var updates = OnALine(0, 1, 2, 4, 7, 20, -30);

        // when Bulyan selects
        var selection = RobustAggregation.BulyanSelection(TestParameters.Layout, ValuesOf(updates), f: 1);

        // then it took c02, c03, c01, c00, c04 in that order, and left the two outliers
        Assert.Equal([2, 3, 1, 0, 4], selection);
        Assert.Equal(NaiveRobustRules.BulyanSelection(ValuesOf(updates), f: 1), selection);
    }

    [Fact]
    public void Aggregate_OnPointsOfALine_AveragesTheBetaValuesClosestToTheSelectionsMedian()
    {
        // given the same line: the selection holds 0, 1, 2, 4, 7 (median 2), and β = 5 - 2 = 3
        var updates = OnALine(0, 1, 2, 4, 7, 20, -30);

        // when Bulyan aggregates
        var result = Aggregate(new Bulyan(f: 1), updates);

        // then the first coordinate averages {0, 1, 2}: {1, 2, 4} is as close (1 + 0 + 2 = 2 + 1 + 0), and the lower set is kept
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 0f], result.Values.ToArray());
    }

    [Fact]
    public void Aggregate_WhenTheSelectionIsSkewed_KeepsTheValuesNearestTheMedianNotTheMiddleRanks()
    {
        // given seven updates at 0, 0, 0, 0, 10, 11, 12 on the second coordinate; Krum's five steps take
        // a 0 (score 0+0+0+100), a 0 (0+0+100), 11 (1+1), a 0 (0) and 10 (4, before 12 by id):
        // the selection is {0, 0, 0, 10, 11}, median 0, β = 3
        var updates = new[] { 0f, 0, 0, 0, 10, 11, 12 }.Select((v, k) => Update(k, TestParameters.Of(0, v, 0, 0, 0, 0))).ToList();

        // when Bulyan aggregates
        var result = Aggregate(new Bulyan(f: 1), updates);

        // then the coordinate averages the three zeros nearest the median, not the middle ranks {0, 0, 10}
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 0f], result.Values.ToArray());
        Assert.Equal([0, 1, 5, 2, 4], RobustAggregation.BulyanSelection(TestParameters.Layout, ValuesOf(updates), f: 1));
        Assert.Equal(NaiveRobustRules.Bulyan(ValuesOf(updates), f: 1), result.Values.ToArray());
    }

    [Theory]
    [InlineData(7, 1)]
    [InlineData(8, 1)]
    [InlineData(11, 2)]
    [InlineData(14, 2)]
    [InlineData(15, 3)]
    [InlineData(5, 0)]
    public void Aggregate_OnSeededUpdatesOverSeveralBlocks_EqualsTheNaiveBulyan(int n, int f)
    {
        // given n seeded updates of 10,007 values with many ties
        var updates = RandomUpdates(seed: (10 * n) + f, n, Wide);

        // when Bulyan aggregates
        var result = Aggregate(new Bulyan(f), updates, Parameters.Zeros(Wide));

        // then it selected as the naive rule does, and every coordinate is the naive mean of the β values nearest the median
        Assert.Equal(NaiveRobustRules.BulyanSelection(ValuesOf(updates), f), RobustAggregation.BulyanSelection(Wide, ValuesOf(updates), f));
        var expected = NaiveRobustRules.Bulyan(ValuesOf(updates), f);
        AssertClose(expected, result);
    }

    [Theory]
    [InlineData(0, 3)]
    [InlineData(1, 7)]
    [InlineData(2, 11)]
    public void MinimumUpdates_IsFourFPlusThree(int f, int minimum)
    {
        Assert.Equal(minimum, new Bulyan(f).MinimumUpdates);
    }

    [Fact]
    public void Aggregate_WithFewerThanFourFPlusThreeUpdates_Throws()
    {
        // given six updates and f = 1
        var updates = RandomUpdates(seed: 1, 6, TestParameters.Layout);

        // when Bulyan is asked anyway, then it refuses
        var error = Assert.Throws<ArgumentException>(() => Aggregate(new Bulyan(f: 1), updates));
        Assert.Contains("n >= 4f + 3", error.Message);
    }

    [Fact]
    public void FromConfig_WhenFIsNegative_NamesTheKey()
    {
        var error = ConfigurationError("fedactors.strategy { name = bulyan, bulyan.f = -1 }");
        Assert.Contains("'fedactors.strategy.bulyan.f' is '-1', but must be a whole number >= 0", error.Message);
    }
}
