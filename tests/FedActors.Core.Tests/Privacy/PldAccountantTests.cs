using System.Diagnostics;
using FedActors.Core.Privacy;
using Xunit.Abstractions;

namespace FedActors.Core.Tests.Privacy;

public sealed class PldAccountantTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1.0, 1, 1e-5)]
    [InlineData(20.0, 100, 1e-5)]
    [InlineData(50.0, 1000, 1e-6)]
    public void Epsilon_WhenEveryRecordIsSampled_IsTheComposedGaussiansExactEpsilon(double sigma, long steps, double delta)
    {
        // given T Gaussian steps of σ: one Gaussian with μ = √T/σ, δ(ε) = Φ(μ/2 − ε/μ) − e^ε·Φ(−μ/2 − ε/μ) (Balle and Wang 2018)
        var exact = ExactGaussianEpsilon(Math.Sqrt(steps) / sigma, delta);

        // when
        var epsilon = PldAccountant.Create(1e-3).Compose(1.0, sigma, steps).GetEpsilon(delta);

        // then: an upper bound, and a close one
        output.WriteLine($"sigma {sigma}, {steps} steps: PLD {epsilon:R}, exact {exact:R}");
        Assert.True(epsilon >= exact - 1e-9, $"PLD {epsilon:R} below the exact {exact:R}");
        Assert.True(epsilon <= exact * (1 + 1e-3) + 1e-6, $"PLD {epsilon:R}, exact {exact:R}");
    }

    // δ(ε) of one step, q = 0.04, σ = 1.5, in closed form: the remove pair's (μ − e^ε·ν)₊ and the add
    // pair's (ν − e^ε·μ)₊ integrate to normal CDFs at the point where the loss crosses ε (mpmath, 30 digits).
    [Theory]
    [InlineData(0.01, 0.0073627506482501193, 0.0050124506143542979)]
    [InlineData(0.02, 0.0052406791053120036, 0.0014822488025527706)]
    [InlineData(0.05, 0.0020143148614975732, 0.0)]
    [InlineData(0.1, 0.00049270286775007405, 0.0)]
    [InlineData(0.2, 4.6921901773837535e-5, 0.0)]
    public void Delta_OfOneStep_BoundsTheExactValueClosely(double epsilon, double remove, double add)
    {
        // when
        var removal = PrivacyLossDistribution.SampledGaussian(0.04, 1.5, 1e-4, remove: true).Delta(epsilon);
        var addition = PrivacyLossDistribution.SampledGaussian(0.04, 1.5, 1e-4, remove: false).Delta(epsilon);

        // then
        Assert.InRange(removal, remove - 1e-14, (remove * (1 + 1e-4)) + 1e-12);
        Assert.InRange(addition, add - 1e-14, (add * (1 + 1e-4)) + 1e-12);
    }

    [Fact]
    public void Epsilon_AtOpacusSetting_IsNearOpacusPrvAndBelowRdp()
    {
        // given Opacus's test_prv_accountant: q = 0.04, σ = 1.5, int(90 // 0.04) = 2,249 steps, δ = 1e-5,
        // where its PRV accountant (Gopi, Lee and Wutschitz 2021) returns its upper bound eps_upper =
        // 6.777395712150674, for an estimate within eps_error = 0.01 of the truth
        var clock = Stopwatch.StartNew();

        // when
        var epsilon = PldAccountant.Create(1e-3).Compose(0.04, 1.5, 2249).GetEpsilon(1e-5);

        // then
        output.WriteLine($"PLD epsilon {epsilon:R} in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.InRange(epsilon, 6.777395712150674 - 0.02, 6.777395712150674);
        Assert.True(epsilon < RdpAccountant.Empty.Compose(0.04, 1.5, 2249).GetPrivacySpent(1e-5).Epsilon);
    }

    [Fact]
    public void Epsilon_FinerGridIsTighter_AndComposingInPartsIsTheSame()
    {
        // when
        var coarse = PldAccountant.Create(1e-2).Compose(0.1, 1.0, 50).GetEpsilon(1e-5);
        var fine = PldAccountant.Create(1e-3).Compose(0.1, 1.0, 50).GetEpsilon(1e-5);
        var inParts = PldAccountant.Create(1e-3).Compose(0.1, 1.0, 20).Compose(0.1, 1.0, 30).GetEpsilon(1e-5);

        // then
        Assert.True(fine <= coarse, $"fine {fine}, coarse {coarse}");
        Assert.Equal(fine, inParts, 6);
        Assert.True(fine < RdpAccountant.Empty.Compose(0.1, 1.0, 50).GetPrivacySpent(1e-5).Epsilon);
    }

    [Fact]
    public void Epsilon_GrowsWithRoundsAndFallsWithNoise()
    {
        // given
        double Epsilon(double sigma, long steps) => PldAccountant.Create(1e-3).Compose(0.05, sigma, steps).GetEpsilon(1e-5);

        // then
        Assert.True(Epsilon(1.0, 10) < Epsilon(1.0, 100));
        Assert.True(Epsilon(2.0, 100) < Epsilon(1.0, 100));
        Assert.Equal(0, PldAccountant.Create().GetEpsilon(1e-5));
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => PldAccountant.Create().GetEpsilon(1)).ParamName);
    }

    [Fact]
    public void Epsilon_WhenTheLossSpreadsBeyondTheGrid_SaysSoInsteadOfExhaustingMemory()
    {
        // given σ = 0.02: one step's loss spans about 1,650 nats, 16 million points at h = 1e-4
        var accountant = PldAccountant.Create(1e-4).Compose(0.01, 0.02, 1);

        // then
        var error = Assert.Throws<InvalidOperationException>(() => accountant.GetEpsilon(1e-5));
        Assert.Contains("use a coarser grid or the RDP accountant", error.Message, StringComparison.Ordinal);
    }

    // The exact ε of a Gaussian mechanism with μ = Δ/σ: bisection on δ(ε), decreasing in ε.
    private static double ExactGaussianEpsilon(double mu, double delta)
    {
        double Delta(double e) => Phi((mu / 2) - (e / mu)) - (Math.Exp(e) * Phi((-mu / 2) - (e / mu)));
        var (low, high) = (0.0, 100.0);
        for (var i = 0; i < 100; i++)
        {
            var middle = 0.5 * (low + high);
            (low, high) = Delta(middle) > delta ? (middle, high) : (low, middle);
        }

        return high;
    }

    private static double Phi(double x) => LogMath.NormalCdf(x);
}
