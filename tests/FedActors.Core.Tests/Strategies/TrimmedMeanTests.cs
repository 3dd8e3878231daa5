using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Strategies;

public sealed class TrimmedMeanTests : RobustStrategyContractTests
{
    protected override string Hocon => "fedactors.strategy.name = trimmed-mean";

    protected override string ExpectedName => "trimmed-mean";

    protected override int ExpectedMinimumUpdates => 1;

    [Fact]
    public void FromConfig_WithTheDefaults_TrimsATenthFromEachEnd()
    {
        // when the catalog builds it from reference.conf
        var strategy = Assert.IsType<TrimmedMean>(Create());

        // then beta is the documented 0.1
        Assert.Equal(0.1, strategy.Beta);
    }

    [Fact]
    public void Aggregate_WithBetaAFifthOfFive_DropsTheSmallestAndLargestValueOfEachCoordinate()
    {
        // given five updates (floor(0.2 * 5) = 1 value dropped at each end of every coordinate)
        var updates = new[]
        {
            Update(0, 1, 100, 3, 0, 2, 5),
            Update(1, 2, -100, 3, 1, 2, 5),
            Update(2, 3, 1, 3, 2, 2, 6),
            Update(3, 4, 2, 3, 3, 9, 7),
            Update(4, 50, 3, 3, 4, -9, 8),
        };

        // when trimmed with beta 0.2
        var result = Aggregate(new TrimmedMean(0.2), updates);

        // then each coordinate averages its three middle values, e.g. {1, 2, 3, 4, 50} gives (2 + 3 + 4) / 3 = 3
        Assert.Equal([3f, 2f, 3f, 2f, 2f, 6f], result.Values.ToArray());
        Assert.Equal(NaiveRobustRules.TrimmedMean(ValuesOf(updates), 1), result.Values.ToArray());
    }

    [Theory]
    [InlineData(0.0, 7, 0)]
    [InlineData(0.1, 10, 1)]
    [InlineData(0.19, 10, 1)]
    [InlineData(0.2, 10, 2)]
    [InlineData(0.3, 3, 0)]
    [InlineData(0.49, 3, 1)]
    [InlineData(0.29, 100, 29)]
    [InlineData(0.45, 20, 9)]
    public void Aggregate_OnSeededUpdatesOverSeveralBlocks_DropsFloorOfBetaTimesNFromEachEnd(double beta, int n, int dropped)
    {
        // given n seeded updates of 10,007 values, and floor(beta * n) = dropped worked out by hand
        var updates = RandomUpdates(seed: n, n, Wide);

        // when trimmed with beta
        var result = Aggregate(new TrimmedMean(beta), updates, Parameters.Zeros(Wide));

        // then every coordinate is the mean of its sorted values without `dropped` at each end
        var expected = NaiveRobustRules.TrimmedMean(ValuesOf(updates), dropped);
        AssertClose(expected, result);
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("0.7")]
    [InlineData("-0.1")]
    public void FromConfig_WhenBetaIsOutsideZeroToAHalf_NamesTheKey(string beta)
    {
        // when the catalog reads an impossible beta
        var error = ConfigurationError($"fedactors.strategy {{ name = trimmed-mean, trimmed-mean.beta = {beta} }}");

        // then the message names the key, the value and the range
        Assert.Contains($"'fedactors.strategy.trimmed-mean.beta' is '{beta}', but must be a number in [0, 0.5)", error.Message);
    }

    [Fact]
    public void Constructor_WhenBetaIsAHalf_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TrimmedMean(0.5));
    }
}
