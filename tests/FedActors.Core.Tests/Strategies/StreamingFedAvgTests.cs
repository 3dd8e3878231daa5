using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Strategies;

/// <summary>FedAvg's streaming path against its buffered path, and both against the order of their updates.</summary>
public sealed class StreamingFedAvgTests
{
    // Longer than one tiled block and not a multiple of it nor of a vector, so that block edges and scalar tails are exercised.
    private static readonly ParameterLayout Layout = new([new TensorSpec("w", [2, 70_000]), new TensorSpec("b", [7])]);

    private static readonly StrategyContext Context = new(new RoundNumber(1), 1, 10, Seed: 1);

    [Fact]
    public void Complete_WhenTheUpdatesArriveInEveryOrder_GivesTheSameBits()
    {
        // given five updates whose float32 sums round differently in different orders
        var updates = RandomUpdates(count: 5, seed: 11);

        // when they are streamed in each of the 120 orders
        var results = Permutations(updates).Select(Stream).Select(Bits).ToList();

        // then every order gives the same bits
        Assert.All(results, r => Assert.Equal(results[0], r));
    }

    [Fact]
    public void AggregateFit_WhenTheListIsShuffled_GivesTheSameBits()
    {
        // given updates and a shuffle of them (a float32 pass in list order gives different bits for these)
        var updates = RandomUpdates(count: 10, seed: 12);
        var shuffled = updates.OrderBy(u => u.SampleCount * 7919 % 13).ToList();

        // when the buffered path aggregates both lists
        var a = new FedAvg().AggregateFit(Context, Parameters.Zeros(Layout), updates).Global;
        var b = new FedAvg().AggregateFit(Context, Parameters.Zeros(Layout), shuffled).Global;

        // then the results are identical to the bit
        Assert.Equal(Bits(a), Bits(b));
    }

    [Fact]
    public void Complete_EqualsTheBufferedPathBitForBit()
    {
        // given a round's updates
        var updates = RandomUpdates(count: 10, seed: 13);

        // when one FedAvg streams them in reverse arrival order and another aggregates the list
        var streamed = Stream(updates.AsEnumerable().Reverse().ToList());
        var buffered = new FedAvg().AggregateFit(Context, Parameters.Zeros(Layout), updates).Global;

        // then both paths give the same bits
        Assert.Equal(Bits(buffered), Bits(streamed));
    }

    [Fact]
    public void AggregateFit_IsTheExactWeightedMeanRoundedToFloat32()
    {
        // given updates, and their weighted mean in double (each n_k·w exact, the ten-term sum within 1e-15 relative)
        var updates = RandomUpdates(count: 10, seed: 14);
        var total = updates.Sum(u => (double)u.SampleCount);

        // when aggregated
        var result = new FedAvg().AggregateFit(Context, Parameters.Zeros(Layout), updates).Global.Values.ToArray();

        // then each value is within the fixed point's 2^-33 of the exact mean, plus float32's rounding of it
        for (var i = 0; i < result.Length; i++)
        {
            var exact = updates.Sum(u => u.SampleCount * (double)u.Parameters.Values[i]) / total;
            var allowed = Math.Pow(2, -33) + (Math.Abs(exact) * Math.Pow(2, -24));
            Assert.True(Math.Abs(exact - result[i]) <= allowed, $"value {i}: {result[i]} where the exact mean is {exact}");
        }
    }

    [Fact]
    public void Complete_WhenTheUpdatesExceedTheFixedPointRange_ThrowsInEveryOrder()
    {
        // given two updates whose sum of bounds is over the range: Σ n_k·max|w_k| = 2 · 600 · 2e6 > 2^31
        var big = new[] { Update("a", 600, Filled(2e6f)), Update("b", 600, Filled(-2e6f)) };

        // when streamed or aggregated, then the mean refuses rather than wraps around
        Assert.Throws<OverflowException>(() => Stream(big));
        Assert.Throws<OverflowException>(() => Stream([big[1], big[0]]));
        Assert.Throws<OverflowException>(() => new FedAvg().AggregateFit(Context, Parameters.Zeros(Layout), big));
    }

    [Fact]
    public void Complete_WithinTheRangeNearItsEdge_IsExact()
    {
        // given updates just inside the range: Σ n_k·max|w_k| = 2 · 1000 · 1e6 = 2e9 < 2^31 ≈ 2.147e9
        var edge = new[] { Update("a", 1000, Filled(1e6f)), Update("b", 1000, Filled(0.5f)) };

        // when streamed
        var mean = Stream(edge).Values.ToArray();

        // then the mean is (1e6 + 0.5) / 2, rounded to float32
        Assert.All(mean, v => Assert.Equal((float)500000.25, v));
    }

    [Fact]
    public void StartAccumulating_OfRobustAndStatefulRules_IsNullSoTheyKeepTheBufferedPath()
    {
        // FedMedian, trimmed mean, Krum and Bulyan need every update at once.
        Assert.Null(((IStrategy)new FedMedian()).StartAccumulating(Context, Parameters.Zeros(Layout)));
        Assert.NotNull(((IStrategy)new FedAvg()).StartAccumulating(Context, Parameters.Zeros(Layout)));
        Assert.NotNull(((IStrategy)new FedProx(0.01)).StartAccumulating(Context, Parameters.Zeros(Layout)));
    }

    private static Parameters Stream(IReadOnlyList<ClientUpdate> arrivals)
    {
        var accumulator = ((IStrategy)new FedAvg()).StartAccumulating(Context, Parameters.Zeros(Layout))!;
        foreach (var update in arrivals)
        {
            accumulator.Add(update);
        }

        return accumulator.Complete().Global;
    }

    private static List<ClientUpdate> RandomUpdates(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var values = new float[Layout.TotalLength];
            for (var j = 0; j < values.Length; j++)
            {
                // Magnitudes from 1e-4 to 10, signs mixed: the spread over which float32 sums lose bits.
                values[j] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 2)));
            }

            return Update($"c{i:D2}", random.Next(1, 700), Parameters.Wrap(Layout, values));
        })];
    }

    private static Parameters Filled(float value) => Parameters.Wrap(Layout, Enumerable.Repeat(value, Layout.TotalLength).ToArray());

    private static ClientUpdate Update(string id, int samples, Parameters values) =>
        new(new ClientId(id), values, samples, NamedTensors.Empty, NamedTensors.NoHyperparameters);

    private static int[] Bits(Parameters parameters) => [.. parameters.Values.ToArray().Select(BitConverter.SingleToInt32Bits)];

    private static IEnumerable<List<T>> Permutations<T>(IReadOnlyList<T> items)
    {
        if (items.Count <= 1)
        {
            yield return [.. items];
            yield break;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var rest = items.Where((_, j) => j != i).ToList();
            foreach (var tail in Permutations(rest))
            {
                yield return [items[i], .. tail];
            }
        }
    }
}
