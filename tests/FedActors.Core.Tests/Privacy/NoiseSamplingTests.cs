using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

/// <summary>
/// Statistical checks on seeded (non-private) noise. Each bound is 4.9 standard errors, two-sided,
/// so a correct sampler fails one with probability about 1e-6 over seeds; with the fixed seeds
/// here each test is deterministic.
/// </summary>
public sealed class NoiseSamplingTests
{
    private const int Samples = 20_000;
    private const double Z = 4.9;

    [Fact]
    public void Gaussian_SampleStandardDeviation_MatchesSigma()
    {
        // given
        var values = new double[Samples];
        var mechanism = new GaussianMechanism(l2Sensitivity: 1.0, sigma: 2.0);

        // when
        var grid = mechanism.Randomise(values, NoiseSource.SeededNonPrivate(7));

        // then: for normal draws, sd(s)/σ ≈ 1/√(2n)
        var (mean, sd) = MeanAndSd(values);
        Assert.True(Math.Abs(mean) <= Z * grid.Scale / Math.Sqrt(Samples), $"mean {mean}");
        Assert.True(Math.Abs((sd / grid.Scale) - 1) <= Z / Math.Sqrt(2.0 * Samples), $"sd {sd} for sigma {grid.Scale}");
        Assert.InRange(grid.Scale, 2.0, 2.0 * (1 + 1e-5));
    }

    [Fact]
    public void Laplace_SampleStandardDeviation_MatchesRootTwoTimesScale()
    {
        // given
        var values = new double[Samples];
        var mechanism = new LaplaceMechanism(l1Sensitivity: 1.0, epsilon: 2.0 / 3);

        // when
        var grid = mechanism.Randomise(values, NoiseSource.SeededNonPrivate(11));

        // then: Laplace has excess kurtosis 3, so sd(s)/σ ≈ √(5/(4n)); σ = √2·b
        var (mean, sd) = MeanAndSd(values);
        var sigma = Math.Sqrt(2) * grid.Scale;
        Assert.True(Math.Abs(mean) <= Z * sigma / Math.Sqrt(Samples), $"mean {mean}");
        Assert.True(Math.Abs((sd / sigma) - 1) <= Z * Math.Sqrt(5.0 / (4 * Samples)), $"sd {sd} for {sigma}");
        Assert.InRange(grid.Scale, 1.5, 1.5 * 1.001);
    }

    [Theory]
    [InlineData(false, 2)]
    [InlineData(true, 3)]
    public void DiscreteSamplers_FrequenciesMatchTheExactProbabilities(bool gaussian, long scale)
    {
        // given P(z) ∝ exp(−z²/(2σ²)) or exp(−|z|/t)
        double Weight(int z) => gaussian ? Math.Exp(-(double)z * z / (2.0 * scale * scale)) : Math.Exp(-Math.Abs(z) / (double)scale);
        var total = Enumerable.Range(-200, 401).Sum(Weight);
        var source = NoiseSource.SeededNonPrivate(3);
        var counts = new Dictionary<long, int>();

        // when
        for (var i = 0; i < Samples; i++)
        {
            var z = gaussian ? DiscreteSampler.DiscreteGaussian(source, scale) : DiscreteSampler.DiscreteLaplace(source, scale);
            counts[z] = counts.GetValueOrDefault(z) + 1;
        }

        // then: 13 bins, each within 5.3 standard errors (1.2e-7 each, about 1.5e-6 together)
        for (var z = -6; z <= 6; z++)
        {
            var p = Weight(z) / total;
            var error = (counts.GetValueOrDefault(z) - (Samples * p)) / Math.Sqrt(Samples * p * (1 - p));
            Assert.True(Math.Abs(error) <= 5.3, $"z = {z}: {counts.GetValueOrDefault(z)} draws, expected {Samples * p:F1}");
        }
    }

    [Fact]
    public void Randomise_ReleasesExactGridMultiples_AndTheSeedReproducesThem()
    {
        // given
        var first = new[] { 0.1, -3.7, 1e6 };
        var second = (double[])first.Clone();
        var mechanism = new GaussianMechanism(1.0, 0.8);

        // when
        var grid = mechanism.Randomise(first, NoiseSource.SeededNonPrivate(5));
        mechanism.Randomise(second, NoiseSource.SeededNonPrivate(5));

        // then
        Assert.Equal(first, second);
        Assert.All(first, v => Assert.Equal(Math.Round(v / grid.Granularity), v / grid.Granularity));
        Assert.Equal(Math.ScaleB(1.0, -1 - NoiseGrid.StepsBits), grid.Granularity);
    }

    [Fact]
    public void Sources_SayWhetherTheyArePrivate()
    {
        // then
        Assert.True(NoiseSource.Secure().IsPrivate);
        Assert.False(NoiseSource.SeededNonPrivate(1).IsPrivate);
        var values = new double[1000];
        new LaplaceMechanism(1.0, 1.0).Randomise(values, NoiseSource.Secure());
        Assert.True(values.Distinct().Count() > 900);
    }

    [Fact]
    public void Randomise_WhenAValueIsTooLargeForTheGrid_NamesIt()
    {
        // given
        var values = new[] { 0.0, 1e30 };

        // then
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new GaussianMechanism(1.0, 1.0).Randomise(values, NoiseSource.SeededNonPrivate(1)));
        Assert.Contains("value 1", error.Message, StringComparison.Ordinal);
    }

    private static (double Mean, double Sd) MeanAndSd(double[] values)
    {
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        return (mean, Math.Sqrt(variance));
    }
}
