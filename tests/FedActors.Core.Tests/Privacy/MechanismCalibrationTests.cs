using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

public sealed class MechanismCalibrationTests
{
    [Theory]
    [InlineData(1.0, 1.0, 1.0)]
    [InlineData(2.0, 0.5, 4.0)]
    [InlineData(0.1, 10.0, 0.01)]
    public void LaplaceScale_IsSensitivityOverEpsilon(double sensitivity, double epsilon, double scale)
    {
        // then
        Assert.Equal(scale, LaplaceMechanism.ScaleFor(sensitivity, epsilon), 15);
        Assert.Equal(scale, new LaplaceMechanism(sensitivity, epsilon).Scale, 15);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => LaplaceMechanism.ScaleFor(sensitivity, 0)).ParamName);
        Assert.Equal("l1Sensitivity", Assert.Throws<ArgumentOutOfRangeException>(() => LaplaceMechanism.ScaleFor(-1, epsilon)).ParamName);
    }

    [Fact]
    public void ClassicSigma_IsTheDworkRothFormula_AndOnlyBelowEpsilonOne()
    {
        // then: σ = Δ·√(2 ln(1.25/δ))/ε (mpmath: 48.448052626053894 for Δ = 1, ε = 0.1, δ = 1e-5)
        Assert.Equal(2 * Math.Sqrt(2 * Math.Log(1.25 / 1e-6)) / 0.5, GaussianMechanism.ClassicSigma(2.0, 0.5, 1e-6), 12);
        Assert.Equal(48.448052626053894, GaussianMechanism.ClassicSigma(1.0, 0.1, 1e-5), 10);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMechanism.ClassicSigma(1.0, 1.0, 1e-5)).ParamName);
        Assert.Equal("epsilon", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMechanism.ClassicSigma(1.0, 2.0, 1e-5)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMechanism.ClassicSigma(1.0, 0.5, 0)).ParamName);
    }

    // The smallest σ with δ(ε, σ) ≤ δ for Δ = 1, by a 200-step bisection on Balle and Wang's
    // Theorem 8 with mpmath 1.3.0 at 40 digits (ncdf, exp); both branches of Algorithm 1 (ε = 0.05,
    // δ = 0.2 is above δ0 = 0.105).
    [Theory]
    [InlineData(1.0, 1e-5, 3.7306316348159418)]
    [InlineData(0.5, 1e-6, 8.0576184807250443)]
    [InlineData(4.0, 1e-5, 1.0811618495202392)]
    [InlineData(10.0, 1e-10, 0.68304396722748118)]
    [InlineData(0.05, 0.2, 1.7973253298697138)]
    [InlineData(0.1, 1e-5, 30.74956613197745)]
    public void AnalyticSigma_MatchesIndependentCalibration(double epsilon, double delta, double expected)
    {
        // when
        var sigma = GaussianMechanism.AnalyticSigma(1.0, epsilon, delta);

        // then: the same to 1e-12, the same as this test's own bisection, and never worse than the classic σ where that holds
        Assert.True(Math.Abs(sigma - expected) <= 1e-12 * expected, $"sigma {sigma:R}, expected {expected:R}");
        var independent = BisectSigma(epsilon, delta);
        Assert.True(Math.Abs(sigma - independent) <= 1e-9 * expected, $"sigma {sigma:R}, the test's bisection {independent:R}");
        Assert.True(GaussianMechanism.Delta(1.0, sigma, epsilon) <= delta * (1 + 1e-12));
        if (epsilon < 1)
        {
            Assert.True(sigma < GaussianMechanism.ClassicSigma(1.0, epsilon, delta));
        }
    }

    [Fact]
    public void AnalyticSigma_ScalesWithSensitivity()
    {
        // then
        Assert.Equal(3 * GaussianMechanism.AnalyticSigma(1.0, 2.0, 1e-6), GaussianMechanism.AnalyticSigma(3.0, 2.0, 1e-6), 12);
    }

    // δ(ε, σ) for Δ = 1 from a Φ of the test's own: Φ(−a) = φ(a)·∫_0^∞ exp(−a·s − s²/2) ds for a ≥ 0,
    // by Simpson's rule on [0, 40] with 20,000 intervals (the integrand is smooth and below e^−800 at the end).
    private static double BisectSigma(double epsilon, double delta)
    {
        double Delta(double sigma) => Phi((1 / (2 * sigma)) - (epsilon * sigma)) - (Math.Exp(epsilon) * Phi((-1 / (2 * sigma)) - (epsilon * sigma)));
        var (low, high) = (1e-6, 1000.0);
        for (var i = 0; i < 80; i++)
        {
            var middle = 0.5 * (low + high);
            (low, high) = Delta(middle) > delta ? (middle, high) : (low, middle);
        }

        return high;
    }

    private static double Phi(double x)
    {
        if (x > 0)
        {
            return 1 - Phi(-x);
        }

        var a = -x;
        const int Intervals = 20_000;
        const double End = 40.0;
        var h = End / Intervals;
        double F(double s) => Math.Exp((-a * s) - (s * s / 2));
        var sum = F(0) + F(End);
        for (var i = 1; i < Intervals; i++)
        {
            sum += (i % 2 == 1 ? 4 : 2) * F(i * h);
        }

        return Math.Exp(-a * a / 2) / Math.Sqrt(2 * Math.PI) * sum * h / 3;
    }
}
