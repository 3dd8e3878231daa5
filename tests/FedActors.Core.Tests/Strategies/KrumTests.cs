using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

public sealed class KrumTests : RobustStrategyContractTests
{
    protected override string Hocon => "fedactors.strategy.name = krum";

    protected override string ExpectedName => "krum";

    // f = 1 by default: n > 2f + 2 = 4.
    protected override int ExpectedMinimumUpdates => 5;

    [Fact]
    public void FromConfig_WithTheDefaults_IsKrumToleratingOne()
    {
        // when the catalog builds it from reference.conf
        var strategy = Assert.IsType<Krum>(Create());

        // then f = 1, m = 1, and the rule says n > 2f + 2 and names the key
        Assert.Equal((1, 1), (strategy.F, strategy.M));
        Assert.StartsWith("n > 2f + 2 = 4 updates with f = 1 ('fedactors.strategy.krum.f')", strategy.MinimumUpdatesRule);
    }

    [Theory]
    [InlineData(6, 1)]
    [InlineData(7, 2)]
    [InlineData(9, 0)]
    public void KrumScores_OnSeededUpdates_SumTheSquaredDistancesToTheNMinusFMinus2Nearest(int n, int f)
    {
        // given n seeded updates
        var updates = ValuesOf(RandomUpdates(seed: n + f, n, Wide));

        // when scored
        var scores = RobustAggregation.KrumScores(Wide, updates, f);

        // then each score is the sum of its n - f - 2 smallest squared distances to the others
        var expected = NaiveRobustRules.KrumScores(updates, n - f - 2);
        Assert.All(Enumerable.Range(0, n), i => Assert.Equal(expected[i], scores[i], expected[i] * 1e-5));
    }

    [Fact]
    public void Aggregate_OnPointsOfALine_ChoosesTheLowestScoreAndBreaksTiesByClientId()
    {
        // given five updates at 0, 1, 2, 3 and 100 on the first coordinate; f = 1, so 2 neighbours each:
        // scores 1+4 = 5, 1+1 = 2, 1+1 = 2, 1+4 = 5 and 97²+98²
        var updates = OnALine(0, 1, 2, 3, 100);

        // when Krum aggregates them
        var result = Aggregate(new Krum(f: 1), updates);

        // then the model is c01's update: c01 and c02 tie at 2, and c01 comes first
        Assert.Equal([1, 2, 0, 3], RobustAggregation.KrumSelection(TestParameters.Layout, ValuesOf(updates), f: 1, m: 4));
        Assert.Equal(updates[1].Parameters.Values.ToArray(), result.Values.ToArray());
    }

    [Fact]
    public void Aggregate_WithMThree_AveragesTheThreeLowestScoresUnweighted()
    {
        // given the same line, now with different sample counts: lowest scores c01 (2), c02 (2), then c00 and c03 tie at 5
        var samples = new[] { 9, 1, 5, 7, 2 };
        var updates = OnALine(0, 1, 2, 3, 100).Select((u, k) => u with { SampleCount = samples[k] }).ToList();

        // when Multi-Krum with m = 3 aggregates them
        var result = Aggregate(new Krum(f: 1, m: 3), updates);

        // then the model is the plain mean of c01, c02 and c00: (1 + 2 + 0) / 3 = 1, whatever their sample counts
        Assert.Equal([1f, 0f, 0f, 0f, 0f, 0f], result.Values.ToArray());
    }

    [Theory]
    [InlineData(7, 1, 1)]
    [InlineData(7, 2, 1)]
    [InlineData(10, 2, 4)]
    [InlineData(12, 3, 6)]
    public void Aggregate_OnSeededUpdates_AveragesTheNaiveSelection(int n, int f, int m)
    {
        // given n seeded updates
        var updates = RandomUpdates(seed: (10 * n) + f, n, Wide);

        // when (Multi-)Krum aggregates them
        var result = Aggregate(new Krum(f, m), updates, Parameters.Zeros(Wide));

        // then the model is the mean of the m updates with the naive lowest scores
        var chosen = NaiveRobustRules.KrumSelection(ValuesOf(updates), f, m);
        Assert.Equal(chosen, RobustAggregation.KrumSelection(Wide, ValuesOf(updates), f, m));
        var expected = NaiveRobustRules.Mean([.. chosen.Select(i => updates[i].Parameters)]);
        AssertClose(expected, result);
    }

    [Theory]
    [InlineData(0, 1, 3)]
    [InlineData(1, 1, 5)]
    [InlineData(2, 1, 7)]
    [InlineData(1, 8, 8)]
    public void MinimumUpdates_IsTwoFPlusThreeOrM(int f, int m, int minimum)
    {
        // given Krum with f and m
        var strategy = new Krum(f, m);

        // then a round needs max(2f + 3, m) updates, and the rule says why
        Assert.Equal(minimum, strategy.MinimumUpdates);
        Assert.Contains($"n > 2f + 2 = {(2 * f) + 2} updates", strategy.MinimumUpdatesRule);
        Assert.Equal(m > (2 * f) + 3, strategy.MinimumUpdatesRule.Contains($"n >= m = {m} ('fedactors.strategy.krum.m')", StringComparison.Ordinal));
    }

    [Fact]
    public void Aggregate_WithNoMoreThanTwoFPlusTwoUpdates_Throws()
    {
        // given four updates and f = 1
        var updates = RandomUpdates(seed: 1, 4, TestParameters.Layout);

        // when Krum is asked anyway, then it refuses
        var error = Assert.Throws<ArgumentException>(() => Aggregate(new Krum(f: 1), updates));
        Assert.Contains("n > 2f + 2", error.Message);
    }

    [Theory]
    [InlineData("krum.f = -1", "'fedactors.strategy.krum.f' is '-1', but must be a whole number >= 0")]
    [InlineData("krum.m = 0", "'fedactors.strategy.krum.m' is '0', but must be a whole number >= 1")]
    [InlineData("krum.f = 1.5", "'fedactors.strategy.krum.f' is '1.5', but must be a whole number")]
    public void FromConfig_WhenASettingIsOutOfRange_NamesTheKey(string setting, string expected)
    {
        // when the catalog reads it, then the message names the key
        Assert.Contains(expected, ConfigurationError($"fedactors.strategy {{ name = krum, {setting} }}").Message);
    }
}
