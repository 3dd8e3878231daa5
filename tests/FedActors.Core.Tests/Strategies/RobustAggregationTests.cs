using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

/// <summary>The machinery under the coordinate-wise rules, apart from any one rule.</summary>
public sealed class RobustAggregationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(16)]
    public void SortingNetwork_OnEveryZeroOneInput_Sorts(int n)
    {
        // given the network for n inputs; by the 0-1 principle it sorts everything if it sorts every 0-1 input
        var network = RobustAggregation.SortingNetwork(n);

        // when applied to each of the 2^n inputs of zeros and ones
        var unsorted = Enumerable.Range(0, 1 << n).Where(bits =>
        {
            var v = Enumerable.Range(0, n).Select(k => (bits >> k) & 1).ToArray();
            foreach (var (low, high) in network)
            {
                (v[low], v[high]) = (Math.Min(v[low], v[high]), Math.Max(v[low], v[high]));
            }

            return !v.SequenceEqual(v.Order());
        });

        // then every output is sorted, with pairs (i, j) that have i < j
        Assert.Empty(unsorted);
        Assert.All(network, p => Assert.True(p.Low < p.High && p.High < n));
    }

    [Theory]
    [InlineData(0.1, 10, 1)]
    [InlineData(0.29, 100, 29)]
    [InlineData(0.3, 10, 3)]
    [InlineData(0.49, 100, 49)]
    public void TrimmedCount_IsFloorOfBetaTimesNAsWritten(double beta, int n, int expected)
    {
        Assert.Equal(expected, RobustAggregation.TrimmedCount(beta, n));
    }
}
