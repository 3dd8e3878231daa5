using System.Globalization;
using System.Text.Json;
using FedActors.Cli.Simulation;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

/// <summary>Central DP through the command line, with the real engine on a small slice of Fashion-MNIST.</summary>
[Trait("Category", "E2E")]
public sealed class CentralDpSimulationTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Checkpoints => Path.Combine(_folder.Path, "checkpoints");

    [Theory]
    [InlineData("fedavg")]
    [InlineData("fedadam")]
    [InlineData("fedavgm")]
    public async Task Simulate_WithCentralDpAroundASumStyleStrategy_ReportsEpsilonEveryRoundAndWhatItCovers(string strategy)
    {
        // given DP-FedAvg (secure noise) around the strategy, 20 clients at q = 0.5, 3 rounds
        var result = await Run("out", rounds: 3, "--strategy", strategy);

        // then the run succeeds; the progress lines, metrics.json and metrics.csv carry epsilon, growing round by round
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains($"central DP (dp-fedavg({strategy}))", result.Out, StringComparison.Ordinal);
        Assert.Contains("epsilon ", result.Out.Split('\n').Single(l => l.StartsWith("round 3/3", StringComparison.Ordinal)), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder.Path, "out", "metrics.json")));
        var epsilons = json.RootElement.GetProperty("history").EnumerateArray()
            .Where(r => r.GetProperty("round").GetInt32() > 0)
            .Select(r => r.GetProperty("metrics").GetProperty("dp.epsilon").GetDouble())
            .ToList();
        Assert.Equal(3, epsilons.Count);
        Assert.True(epsilons[0] < epsilons[1] && epsilons[1] < epsilons[2], string.Join(", ", epsilons));
        var privacy = json.RootElement.GetProperty("privacy");
        Assert.True(privacy.GetProperty("guarantee").GetBoolean());
        Assert.Equal(epsilons[2], privacy.GetProperty("epsilon").GetDouble());
        var notCovered = privacy.GetProperty("notCovered").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("history[].trainLoss", notCovered);
        Assert.Contains("history[].federated", notCovered);
        Assert.Contains("history[].asked", notCovered);
        Assert.Contains("history[].answered", notCovered);
        Assert.Contains(",dp.epsilon,", File.ReadAllText(Path.Combine(_folder.Path, "out", "metrics.csv")).Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WithSeededNoise_LabelsTheEpsilonAsNoGuarantee()
    {
        var result = await Run("out", rounds: 1, "--set", "privacy.noise=seeded-non-private");
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("(seeded, no guarantee)", result.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder.Path, "out", "metrics.json")));
        Assert.False(json.RootElement.GetProperty("privacy").GetProperty("guarantee").GetBoolean());
        Assert.False(json.RootElement.GetProperty("history")[1].GetProperty("metrics").TryGetProperty("dp.epsilon", out _));
        Assert.True(json.RootElement.GetProperty("history")[1].GetProperty("metrics").TryGetProperty("dp.epsilon.no-guarantee", out _));
    }

    [Fact]
    public async Task Simulate_WithCentralDpAroundKrum_ExitsTwoNamingTheKeyBeforeAnythingRuns()
    {
        // given central DP, when the strategy is Krum (it returns one client's update, not a sum the noise is sized for)
        var result = await Run("out", rounds: 1, "--strategy", "krum");

        // then the run is refused before the initial model is even evaluated, naming both keys
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.strategy.name' is 'krum', which 'fedactors.privacy.mode' = central cannot wrap", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("initial model", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WhenTheBudgetRunsOut_StopsBeforeTheRoundThatWouldExceedItAndWritesTheRoundsSoFar()
    {
        // given a budget that 2 steps of (q, z) = (0.5, 1) fit but 3 do not (epsilon 3.89, 5.38, 6.48 at delta 1e-5)
        var result = await Run("out", rounds: 5, "--epsilon-budget", "6");

        // then the run ends gracefully after round 2, says why, and writes its outputs
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("stopped before the last round: privacy budget reached: round 3 would take epsilon from", result.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder.Path, "out", "metrics.json")));
        Assert.Equal(2, json.RootElement.GetProperty("totals").GetProperty("rounds").GetInt32());
        Assert.True(File.Exists(Path.Combine(_folder.Path, "out", "model.safetensors")));
        Assert.StartsWith("privacy budget reached", json.RootElement.GetProperty("privacy").GetProperty("stopReason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WhenTheBudgetIsSpentByTheFirstRound_ExitsTwoNamingTheKey()
    {
        // given a budget of 1, when the first step of (q, z) = (0.5, 1) alone spends 3.89
        var result = await Run("out", rounds: 5, "--epsilon-budget", "1");

        // then it is a configuration error naming the key and the first round's epsilon
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.privacy.epsilon-budget' is 1, but the first round alone spends epsilon 3.8", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WithAdaptiveClippingWhoseCountNoiseLeavesTheUpdateNone_ExitsTwoWithTheNumbers()
    {
        // given auto sigma_b = q·N/20 = 0.5 for 20 clients at q = 0.5, when z = 1 is not below 2 sigma_b = 1
        var result = await Run("out", rounds: 1, "--set", "privacy.central.adaptive-clipping.enabled=on");

        // then the update's noise multiplier would not exist: a configuration error with the numbers
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("z^-2 = 1 is not above (2 sigma_b)^-2 = 1", result.Error, StringComparison.Ordinal);
        Assert.Contains("'fedactors.simulation.clients' 20", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("seeded-non-private")]
    [InlineData("secure")]
    public async Task Resume_OfACentralDpRun_ReportsTheSameEpsilonAsTheRunLeftAlone(string noise)
    {
        // given an uninterrupted 4-round run with adaptive clipping, and the same run stopped after round 2 with checkpoints
        string[] dp = ["--set", $"privacy.noise={noise}", "--set", "privacy.central.adaptive-clipping.enabled=on", "--noise-multiplier", "0.5", "--set", "privacy.accountant=rdp"];
        var whole = await Run("whole", rounds: 4, dp);
        var first = await Run("first", rounds: 2, [.. dp, "--checkpoints", Checkpoints]);

        // when the stopped run is resumed to round 4
        var resumed = await Run("resumed", rounds: 4, [.. dp, "--resume", Checkpoints]);

        // then every round's epsilon and step count are the same; with seeded noise the clip norms and the model too
        Assert.True(whole.ExitCode == 0 && first.ExitCode == 0 && resumed.ExitCode == 0, whole.Error + first.Error + resumed.Error);
        var metric = noise == "secure" ? "dp.epsilon" : "dp.epsilon.no-guarantee";
        Assert.Equal(Metric("whole", metric), Metric("resumed", metric));
        Assert.Equal(Metric("whole", "dp.steps"), Metric("resumed", "dp.steps"));
        if (noise != "secure")
        {
            Assert.Equal(Metric("whole", "dp.clip"), Metric("resumed", "dp.clip"));
            Assert.Equal(File.ReadAllBytes(Path.Combine(_folder.Path, "whole", "model.safetensors")), File.ReadAllBytes(Path.Combine(_folder.Path, "resumed", "model.safetensors")));
        }
    }

    private List<double> Metric(string run, string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder.Path, run, "metrics.json")));
        return [.. json.RootElement.GetProperty("history").EnumerateArray()
            .Where(r => r.GetProperty("round").GetInt32() > 0 && r.GetProperty("failure").ValueKind == JsonValueKind.Null)
            .Select(r => r.GetProperty("metrics").GetProperty(name).GetDouble())];
    }

    private Task<CliRunner.Result> Run(string output, int rounds, params string[] more) => CliRunner.RunAsync(
        new TorchSimulationEngine(),
        [
            "simulate", "--rounds", rounds.ToString(CultureInfo.InvariantCulture), "--clients", "20", "--fraction-fit", "0.5", "--privacy", "central",
            "--learning-rate", "0.05", "--set", "simulation.dataset.train-limit=2000", "--set", "simulation.dataset.test-limit=300",
            "--output", Path.Combine(_folder.Path, output), .. more,
        ]);
}
