using System.Globalization;
using FedActors.Cli.Tests.Support;
using FedActors.Core.Privacy;

namespace FedActors.Cli.Tests;

public sealed class PrivacyCommandTests
{
    private static Task<CliRunner.Result> RunAsync(params string[] args) => CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), args);

    private static double ValueAfter(string output, string label)
    {
        var line = output.Split('\n').Single(l => l.StartsWith(label, StringComparison.Ordinal));
        return double.Parse(line[label.Length..].Trim(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Epsilon_AtOpacusTestSetting_PrintsOpacusEpsilon()
    {
        // when
        var result = await RunAsync("privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", "1.5", "--rounds", "2250", "--delta", "1e-5");

        // then: Opacus's RDPAccountant gives 7.32911117143 (improved conversion, the default)
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Error);
        Assert.Equal(7.32911117143, ValueAfter(result.Out, "epsilon:"), 1e-8);
        Assert.Contains("2,250 rounds at sampling rate 0.04", result.Out, StringComparison.Ordinal);
        Assert.Contains("conversion improved (Balle et al. 2020)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Epsilon_WithClassicConversion_PrintsTheTutorialsEpsilon()
    {
        // when: TF Privacy's MNIST tutorial, which prints eps = 3.01
        var result = await RunAsync("privacy", "epsilon", "--sampling-rate", (256.0 / 60000).ToString("R", CultureInfo.InvariantCulture), "--noise-multiplier", "1.1", "--rounds", "14062", "--delta", "1e-5", "--conversion", "classic");

        // then
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3.01, Math.Round(ValueAfter(result.Out, "epsilon:"), 2));
        Assert.Contains("conversion classic (Mironov 2017)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Noise_ForATarget_PrintsTheSmallestMultiplierThatMeetsIt()
    {
        // when: Opacus's get_noise_multiplier test setting (target 8, q = 0.04, 90 epochs = 2,250 steps)
        var result = await RunAsync("privacy", "noise", "--target-epsilon", "8", "--sampling-rate", "0.04", "--rounds", "2250", "--delta", "1e-5");

        // then: it meets the target, and 0.01% less noise would not. Opacus's test expects 1.416
        // to 4 places (older versions 1.425307617): its bisection stops once ε is within its
        // epsilon tolerance (0.01) below the target; the threshold itself is lower
        Assert.Equal(0, result.ExitCode);
        var sigma = ValueAfter(result.Out, "noise multiplier:");
        Assert.True(RdpAccountant.Empty.Compose(0.04, sigma, 2250).GetPrivacySpent(1e-5).Epsilon <= 8);
        Assert.True(RdpAccountant.Empty.Compose(0.04, sigma * 0.9999, 2250).GetPrivacySpent(1e-5).Epsilon > 8);
        Assert.InRange(sigma, 1.41, 1.425307617);
    }

    [Theory]
    [InlineData("--sampling-rate", "0")]
    [InlineData("--sampling-rate", "1.5")]
    [InlineData("--noise-multiplier", "0")]
    [InlineData("--noise-multiplier", "-1")]
    [InlineData("--delta", "0")]
    [InlineData("--delta", "1")]
    [InlineData("--rounds", "0")]
    [InlineData("--rounds", "many")]
    [InlineData("--conversion", "tight")]
    public async Task Epsilon_WhenAValueIsOutOfRange_IsAUsageErrorNamingTheOption(string option, string value)
    {
        // given
        var args = new Dictionary<string, string> { ["--sampling-rate"] = "0.01", ["--noise-multiplier"] = "1.0", ["--rounds"] = "100", ["--delta"] = "1e-5" };
        args[option] = value;

        // when
        var result = await RunAsync(["privacy", "epsilon", .. args.SelectMany(kv => new[] { kv.Key, kv.Value })]);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: {option} must be", result.Error, StringComparison.Ordinal);
        Assert.Contains($"not '{value}'", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Out);
    }

    [Fact]
    public async Task Epsilon_WhenAnOptionIsMissing_IsAUsageErrorNamingIt()
    {
        // when
        var result = await RunAsync("privacy", "epsilon", "--sampling-rate", "0.01", "--noise-multiplier", "1.0", "--rounds", "100");

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--delta", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Noise_WhenNoNoiseMeetsTheTarget_IsAUsageErrorNamingTheTarget()
    {
        // when: over Opacus's orders, δ = 1e-5 cannot go below ε ≈ 0.10 whatever the noise
        var result = await RunAsync("privacy", "noise", "--target-epsilon", "0.05", "--sampling-rate", "0.01", "--rounds", "100", "--delta", "1e-5");

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: --target-epsilon 0.05 cannot be met", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Epsilon_WithThePldAccountant_IsBelowRdp()
    {
        // given
        string[] setting = ["privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", "1.5", "--rounds", "100", "--delta", "1e-5"];

        // when
        var pld = await RunAsync([.. setting, "--accountant", "pld"]);
        var rdp = await RunAsync(setting);

        // then
        Assert.Equal(0, pld.ExitCode);
        Assert.Contains("accountant pld (privacy loss distributions", pld.Out, StringComparison.Ordinal);
        Assert.InRange(ValueAfter(pld.Out, "epsilon:"), 0.5 * ValueAfter(rdp.Out, "epsilon:"), ValueAfter(rdp.Out, "epsilon:"));
    }
}
