using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

public sealed class SampledGaussianRdpTests
{
    // A_α = ∫ μ0(z)^(1−α)·μ(z)^α dz integrated numerically (mpmath 1.3.0 quad, 30 digits), then
    // log(A_α)/(α − 1): a computation independent of both series the code sums.
    [Theory]
    [InlineData(0.04, 1.5, 1.1, 0.00048165674003429929)]
    [InlineData(0.04, 1.5, 2.5, 0.0011328034664701594)]
    [InlineData(0.04, 1.5, 10.9, 0.0065916720680729084)]
    [InlineData(0.04, 1.5, 11.0, 0.0066879690420485876)]
    [InlineData(256.0 / 60000, 1.1, 5.5, 6.616594607904328e-5)]
    [InlineData(256.0 / 60000, 1.1, 12.0, 0.00015574016209240172)]
    [InlineData(0.5, 0.8, 3.3, 1.6284508220870899)]
    public void Compute_AtFractionalAndIntegerOrders_MatchesNumericalIntegration(double q, double sigma, double order, double expected)
    {
        // when
        var rdp = SampledGaussianRdp.Compute(q, sigma, order);

        // then
        Assert.True(Math.Abs(rdp - expected) <= 1e-10 * expected, $"RDP({q}, {sigma}, {order}) = {rdp:R}, expected {expected:R}");
    }

    [Theory]
    [InlineData(0.7)]
    [InlineData(1.5)]
    [InlineData(4.0)]
    public void Compute_WhenEveryRecordIsSampled_IsTheGaussianMechanismsClosedForm(double sigma)
    {
        foreach (var order in RdpAccountant.DefaultOrders)
        {
            // then: q = 1 is α/(2σ²); q just below 1 runs both series and lands next to it
            Assert.Equal(order / (2 * sigma * sigma), SampledGaussianRdp.Compute(1.0, sigma, order), 12);
            var nearlyOne = SampledGaussianRdp.Compute(1 - 1e-9, sigma, order);
            Assert.True(Math.Abs(nearlyOne - (order / (2 * sigma * sigma))) <= 1e-6 * order / (2 * sigma * sigma), $"order {order}: {nearlyOne:R}");
        }
    }

    [Fact]
    public void Compute_FallsWithNoiseAndGrowsWithSamplingRateAndOrder()
    {
        // then
        Assert.True(SampledGaussianRdp.Compute(0.01, 1.0, 4.5) > SampledGaussianRdp.Compute(0.01, 1.2, 4.5));
        Assert.True(SampledGaussianRdp.Compute(0.02, 1.0, 4.5) > SampledGaussianRdp.Compute(0.01, 1.0, 4.5));
        Assert.True(SampledGaussianRdp.Compute(0.01, 1.0, 4.6) > SampledGaussianRdp.Compute(0.01, 1.0, 4.5));
    }

    [Theory]
    [InlineData(0.0, 1.0, 2.0, "samplingRate")]
    [InlineData(1.5, 1.0, 2.0, "samplingRate")]
    [InlineData(0.1, 0.0, 2.0, "noiseMultiplier")]
    [InlineData(0.1, 1.0, 1.0, "order")]
    public void Compute_WhenAnArgumentIsOutOfRange_NamesIt(double q, double sigma, double order, string name)
    {
        // then
        Assert.Equal(name, Assert.Throws<ArgumentOutOfRangeException>(() => SampledGaussianRdp.Compute(q, sigma, order)).ParamName);
    }
}
