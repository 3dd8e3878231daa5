using FedActors.Core.Privacy;

namespace FedActors.Core.Tests.Privacy;

public sealed class LocalPrivacyLossTests
{
    [Theory]
    [InlineData(1.0, 0.5, 1e-5)]
    [InlineData(0.1, 1.0, 1e-5)]
    [InlineData(3.0, 2.0, 1e-6)]
    public void PerRound_WithThePldAccountant_IsTheAnalyticGaussianEpsilonForSensitivityTwoC(double clip, double z, double delta)
    {
        // given local DP with clip C and noise multiplier z, so σ = z·2C for sensitivity 2C
        var settings = Settings(clip, z, delta, LocalDpSettings.Pld);

        // when the per-round epsilon is computed
        var epsilon = LocalPrivacyLoss.PerRound(settings);

        // then it is the smallest ε whose Balle-Wang δ(ε) for (2C, σ) is at most δ: δ(ε) ≤ δ and δ(ε·(1 − 1e-9)) > δ
        Assert.True(GaussianMechanism.Delta(2 * clip, z * 2 * clip, epsilon) <= delta);
        Assert.True(GaussianMechanism.Delta(2 * clip, z * 2 * clip, epsilon * (1 - 1e-9)) > delta);

        // and it does not depend on C: only the ratio Δ2/σ = 1/z does
        Assert.Equal(LocalPrivacyLoss.PerRound(Settings(3.7 * clip, z, delta, LocalDpSettings.Pld)), epsilon, 9);
    }

    [Fact]
    public void Composed_WithThePldAccountant_MatchesThePldAccountantAtSamplingRateOne()
    {
        // given z = 1.0, δ = 1e-5 and 10 releases
        var settings = Settings(1.0, 1.0, 1e-5, LocalDpSettings.Pld);

        // when the composed epsilon is computed in closed form
        var closedForm = LocalPrivacyLoss.Composed(settings, 10);

        // then it equals the PLD accountant's at q = 1 to the grid's discretisation, and that is an upper bound of it
        var pld = PldAccountant.Create(1e-3).Compose(1.0, 1.0, 10).GetEpsilon(1e-5);
        Assert.InRange(pld - closedForm, 0, 1e-2);
    }

    [Theory]
    [InlineData(RdpConversion.Improved)]
    [InlineData(RdpConversion.Classic)]
    public void Composed_WithTheRdpAccountant_IsTheRdpAccountantAtSamplingRateOneAndGrowsWithReleases(RdpConversion conversion)
    {
        // given z = 1.1 and δ = 1e-5 with the chosen conversion
        var settings = Settings(0.5, 1.1, 1e-5, LocalDpSettings.Rdp) with { Conversion = conversion };

        // when composed over 1, 5 and 50 releases
        var epsilons = new long[] { 1, 5, 50 }.Select(t => LocalPrivacyLoss.Composed(settings, t)).ToList();

        // then each is RdpAccountant's with q = 1, they grow, and one release's is the per-round value, above the exact analytic one
        Assert.Equal(RdpAccountant.Empty.Compose(1.0, 1.1, 50).GetPrivacySpent(1e-5, conversion).Epsilon, epsilons[2], 12);
        Assert.True(epsilons[0] < epsilons[1] && epsilons[1] < epsilons[2]);
        Assert.Equal(LocalPrivacyLoss.PerRound(settings), epsilons[0]);
        Assert.True(epsilons[0] > GaussianMechanism.Epsilon(1.0, 1.1, 1e-5));
    }

    [Fact]
    public void MaxOverClients_TakesEachLocalMetricsLargestValueAndIgnoresOtherMetrics()
    {
        // given three clients' metrics, one without local DP
        var a = new Dictionary<string, double> { [LocalPrivacyLoss.MetricRound] = 2.0, [LocalPrivacyLoss.MetricComposed] = 5.0, ["fednova.local-steps"] = 7 };
        var b = new Dictionary<string, double> { [LocalPrivacyLoss.MetricRound] = 2.0, [LocalPrivacyLoss.MetricComposed] = 9.0 };
        var c = new Dictionary<string, double> { ["fednova.local-steps"] = 3 };

        // when summarised for the round
        var summary = LocalPrivacyLoss.MaxOverClients([a, b, c]);

        // then the round carries the largest of each, and nothing else
        Assert.Equal(new Dictionary<string, double> { [LocalPrivacyLoss.MetricComposed] = 9.0, [LocalPrivacyLoss.MetricRound] = 2.0 }, summary);
    }

    private static LocalDpSettings Settings(double clip, double z, double delta, string accountant) =>
        new(clip, z, SecureNoise: true, delta, accountant, RdpConversion.Improved);
}
