using System.Collections.Immutable;
using FedActors.Core.Privacy;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Strategies;

namespace FedActors.Core.Tests.Privacy;

public sealed class AdaptiveClippingTests
{
    private static readonly ParameterLayout Two = new([new TensorSpec("w", ImmutableArray.Create(2))]);

    [Fact]
    public void UpdateNoiseMultiplier_GivenZAndSigmaB_IsWhatTheCountLeaves()
    {
        // z = 1, σ_b = 1: (1 − 1/4)^(−1/2) = 2/√3; z = 0.7, σ_b = 2.5 (the paper's m/20 at m = 50)
        Assert.Equal(2 / Math.Sqrt(3), AdaptiveClipping.UpdateNoiseMultiplier(1, 1), 12);
        Assert.Equal(1 / Math.Sqrt((1 / 0.49) - (1 / 25.0)), AdaptiveClipping.UpdateNoiseMultiplier(0.7, 2.5), 12);
    }

    [Theory]
    [InlineData(1.0, 0.5)]
    [InlineData(2.0, 0.5)]
    public void UpdateNoiseMultiplier_WhenTheCountTakesTheWholeBudget_RefusesWithTheNumbers(double z, double sigmaB)
    {
        var e = Assert.Throws<ArgumentException>(() => AdaptiveClipping.UpdateNoiseMultiplier(z, sigmaB));
        Assert.Contains("is not above (2 sigma_b)^-2 = 1", e.Message);
        Assert.Contains($"z = {z}", e.Message);
    }

    [Fact]
    public void NextClip_WhenMoreThanTheTargetWentUnclipped_Shrinks_AndWhenFewerDid_Grows()
    {
        // the paper's sign: b̄ counts the updates NOT clipped, C ← C·exp(−η(b̄ − γ))
        Assert.Equal(Math.Exp(-0.2 * 0.4), AdaptiveClipping.NextClip(1, unclippedShare: 0.9, targetQuantile: 0.5, learningRate: 0.2), 12);
        Assert.True(AdaptiveClipping.NextClip(1, unclippedShare: 0.1, targetQuantile: 0.5, learningRate: 0.2) > 1);
    }

    [Theory]
    [InlineData(0.0001, true)]
    [InlineData(1000.0, false)]
    public void Aggregate_WhenEveryUpdateIsWithinOrBeyondC_MovesCTheWayThePaperSays(double norm, bool shrinks)
    {
        // given C = 1 and 200 clients whose updates all have the given norm (all unclipped, or all clipped)
        var strategy = Adaptive(targetQuantile: 0.5);
        var (global, updates) = Round(Enumerable.Repeat(norm, 200));

        // when one round is aggregated
        var metrics = strategy.AggregateFit(DpFedAvgTests.Context(200), global, updates).Metrics;

        // then the noised unclipped share is near 1 (or 0) and C shrinks (or grows): flipping the sign fails this
        Assert.Equal(shrinks, strategy.Clip < 1.0);
        Assert.Equal(shrinks, metrics[DpFedAvg.UnclippedShareMetric] > 0.5);
        Assert.Equal(strategy.Clip, metrics[DpFedAvg.NextClipMetric]);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Aggregate_OverManyRoundsOfFixedLogNormalNorms_BringsCToTheirTargetQuantile(double gamma)
    {
        // given 200 fixed update norms drawn from LogNormal(0, 1), whose empirical γ-quantile is known, and C = 0.1 at first
        var random = new Random(11);
        var norms = Enumerable.Range(0, 200).Select(_ => Math.Exp(Normal(random))).Order().ToArray();
        var quantile = norms[(int)Math.Ceiling(gamma * norms.Length) - 1];
        var strategy = Adaptive(gamma, initialClip: 0.1);
        var (global, updates) = Round(norms);

        // when 300 rounds run (all 200 clients each round, q = 1, σ_b = 200/20 = 10, η = 0.2)
        var clips = new List<double>();
        for (var round = 1; round <= 300; round++)
        {
            // each round's seed differs, as the coordinator derives it from the round
            strategy.AggregateFit(DpFedAvgTests.Context(200, round, seed: round), global, updates);
            clips.Add(strategy.Clip);
        }

        // then C has settled within 10% of the γ-quantile: the mean of the last 100 rounds
        var settled = clips.Skip(200).Average();
        Assert.InRange(settled, quantile * 0.9, quantile * 1.1);
    }

    private static DpFedAvg Adaptive(double targetQuantile, double initialClip = 1.0) =>
        new(new FedAvg(), DpFedAvgTests.Settings(clip: initialClip, z: 1.0, q: 1, adaptive: new AdaptiveClippingSettings(targetQuantile, 0.2, null)));

    // Updates from a zero model whose deltas have exactly the given norms.
    private static (Parameters Global, List<ClientUpdate> Updates) Round(IEnumerable<double> norms) =>
        (Parameters.Zeros(Two), [.. norms.Select((n, i) => DpFedAvgTests.Update($"c{i:D3}", Parameters.Wrap(Two, [(float)(n * 0.6), (float)(n * 0.8)])))]);

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
