using System.Diagnostics;
using FedActors.Core.Privacy;
using Xunit.Abstractions;

namespace FedActors.Core.Tests.Privacy;

public sealed class RdpAccountantTests(ITestOutputHelper output)
{
    private const double TutorialRate = 256.0 / 60000;

    [Fact]
    public void Epsilon_AtOpacusTestSetting_MatchesOpacusTo1e9Relative()
    {
        // given Opacus's test_rdp_accountant (opacus/tests/accountants_test.py): q = 0.04,
        // σ = 1.5, int(90 / 0.04) = 2,250 steps, δ = 1e-5, its default orders, and its
        // get_privacy_spent, which uses the improved conversion of Balle et al. 2020
        var accountant = RdpAccountant.Empty.Compose(0.04, 1.5, 2250);

        // when
        var spent = accountant.GetPrivacySpent(1e-5, RdpConversion.Improved);

        // then
        output.WriteLine($"epsilon {spent.Epsilon:R} at order {spent.Order}");
        Assert.True(Math.Abs(spent.Epsilon - 7.32911117143) <= 1e-9 * 7.32911117143, $"epsilon {spent.Epsilon:R}");
        Assert.True(accountant.GetPrivacySpent(1e-5, RdpConversion.Classic).Epsilon > spent.Epsilon);
    }

    [Theory]
    [InlineData(RdpConversion.Classic, 3.01, 2)]
    [InlineData(RdpConversion.Improved, 2.5966, 4)]
    public void Epsilon_AtTensorFlowPrivacyTutorialSetting_MatchesTheDigitsItPrints(RdpConversion conversion, double printed, int digits)
    {
        // given the TF Privacy MNIST tutorial: q = 256/60000, σ = 1.1, 60 epochs = 14,062 steps, δ = 1e-5
        var accountant = RdpAccountant.Empty.Compose(TutorialRate, 1.1, 14062);

        // when
        var epsilon = accountant.GetPrivacySpent(1e-5, conversion).Epsilon;

        // then
        output.WriteLine($"{conversion}: epsilon {epsilon:R}");
        Assert.Equal(printed, Math.Round(epsilon, digits));
    }

    [Fact]
    public void Epsilon_GrowsWithRoundsAndFallsWithNoise()
    {
        // given
        double Epsilon(double sigma, long steps) => RdpAccountant.Empty.Compose(0.01, sigma, steps).GetPrivacySpent(1e-5).Epsilon;

        // then
        Assert.True(Epsilon(1.0, 100) < Epsilon(1.0, 1000));
        Assert.True(Epsilon(1.0, 1000) < Epsilon(1.0, 10000));
        Assert.True(Epsilon(2.0, 1000) < Epsilon(1.0, 1000));
        Assert.True(Epsilon(4.0, 1000) < Epsilon(2.0, 1000));
    }

    [Fact]
    public void Compose_InParts_EqualsComposingAtOnce()
    {
        // when
        var atOnce = RdpAccountant.Empty.Compose(0.02, 1.3, 300);
        var inParts = RdpAccountant.Empty.Compose(0.02, 1.3, 100).Compose(0.02, 1.3, 200);

        // then
        Assert.Equal(300, inParts.Steps);
        for (var i = 0; i < atOnce.Orders.Length; i++)
        {
            Assert.Equal(atOnce.Rdp[i], inParts.Rdp[i], 1e-14 * atOnce.Rdp[i]);
        }
    }

    [Fact]
    public void Epsilon_WhenEveryRecordIsSampled_IsTheGaussianMechanismsBoundOverTheOrders()
    {
        // given q = 1, T steps: RDP T·α/(2σ²) at each order
        var accountant = RdpAccountant.Empty.Compose(1.0, 5.0, 4);

        // when
        var spent = accountant.GetPrivacySpent(1e-5, RdpConversion.Classic);

        // then
        var expected = RdpAccountant.DefaultOrders.Min(a => (4 * a / 50.0) + (Math.Log(1e5) / (a - 1)));
        Assert.Equal(expected, spent.Epsilon, 12);
    }

    [Fact]
    public void Scalars_RoundTrip_AndNameEachOrder()
    {
        // given
        var accountant = RdpAccountant.Empty.Compose(0.04, 1.5, 10).Compose(0.1, 2.0, 3);

        // when
        var scalars = accountant.ToScalars("dp.rdp");
        var back = RdpAccountant.FromScalars(scalars.Add("other.key", 1.0), "dp.rdp");

        // then
        Assert.Equal(152, scalars.Count);
        Assert.Equal(13, scalars["dp.rdp.steps"]);
        Assert.Equal(accountant.Rdp[0], scalars["dp.rdp.order-1.1"]);
        Assert.Equal(accountant.Orders.ToArray(), back.Orders.ToArray());
        Assert.Equal(accountant.Rdp.ToArray(), back.Rdp.ToArray());
        Assert.Equal(13, back.Steps);
        Assert.Throws<ArgumentException>(() => RdpAccountant.FromScalars(scalars, "rdp"));
    }

    [Fact]
    public void DefaultOrders_AreOpacusOrders()
    {
        // then
        var orders = RdpAccountant.DefaultOrders;
        Assert.Equal(151, orders.Length);
        Assert.Equal(1.1, orders[0]);
        Assert.Equal(10.9, orders[98]);
        Assert.Equal(2.0, orders[9]);
        Assert.Equal(12.0, orders[99]);
        Assert.Equal(63.0, orders[^1]);
    }

    [Fact]
    public void GetPrivacySpent_WhenDeltaIsOutOfRange_NamesIt()
    {
        // then
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => RdpAccountant.Empty.GetPrivacySpent(0.0)).ParamName);
        Assert.Equal("delta", Assert.Throws<ArgumentOutOfRangeException>(() => RdpAccountant.Empty.GetPrivacySpent(1.0)).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentOutOfRangeException>(() => RdpAccountant.Empty.Compose(0.1, 1.0, 0)).ParamName);
    }

    [Fact]
    public void Epsilon_Over1000Rounds_TakesMilliseconds()
    {
        // when: not an assertion on speed (the machine may be loaded), only a record of it
        var clock = Stopwatch.StartNew();
        var epsilon = RdpAccountant.Empty.Compose(0.01, 1.1, 1000).GetPrivacySpent(1e-5).Epsilon;
        clock.Stop();

        // then
        output.WriteLine($"epsilon {epsilon:R} over 1,000 rounds (q = 0.01, σ = 1.1) in {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.True(epsilon > 0);
    }
}
