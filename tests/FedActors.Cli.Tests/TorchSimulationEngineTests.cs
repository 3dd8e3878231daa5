using FedActors.Cli.Simulation;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

/// <summary>The real glue, end to end through the command line, on a small slice of Fashion-MNIST.</summary>
[Trait("Category", "E2E")]
public sealed class TorchSimulationEngineTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => Path.Combine(_folder.Path, "out");

    [Fact]
    public async Task Simulate_WhenRunOnASmallSlice_BeatsChanceAndWritesOutputs()
    {
        // given: 4 clients, 3,000 training and 1,000 test images, 3 rounds
        string[] args =
        [
            "simulate", "--rounds", "3", "--clients", "4", "--fraction-fit", "0.5", "--learning-rate", "0.05", "--parallelism", "2",
            "--set", "simulation.dataset.train-limit=3000", "--set", "simulation.dataset.test-limit=1000", "--output", Output,
        ];

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), args);

        // then
        Assert.True(result.ExitCode == 0, result.Error);
        var accuracy = double.Parse(
            result.Out.Split('\n').Single(l => l.StartsWith("final test accuracy:", StringComparison.Ordinal)).Split(' ')[3],
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(accuracy > 0.5, $"final test accuracy {accuracy} is not clearly above chance (0.1)");
        Assert.Contains("on 1,000 test images (round 3)", result.Out, StringComparison.Ordinal);
        Assert.Equal(["metrics.csv", "metrics.json", "metrics.png", "model.safetensors"], Directory.GetFiles(Output).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Simulate_WithFederatedEvaluation_WritesBothFiguresUnderTheDocumentedNames()
    {
        // given: 4 clients that each hold out 20% of their shard, all evaluating after every round
        string[] args =
        [
            "simulate", "--rounds", "2", "--clients", "4", "--fraction-fit", "0.5", "--fraction-evaluate", "1", "--learning-rate", "0.05",
            "--set", "simulation.dataset.train-limit=2000", "--set", "simulation.dataset.test-limit=500", "--output", Output,
        ];

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), args);

        // then the progress line, metrics.json and metrics.csv carry the federated figures beside the centralised ones
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("fed acc ", result.Out, StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "metrics.json")));
        var root = json.RootElement;
        var round2 = root.GetProperty("history")[2];
        Assert.Equal(["fit", "evaluate"], round2.GetProperty("phases").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        var federated = round2.GetProperty("federated");
        Assert.Equal(4, federated.GetProperty("clients").GetInt32());
        Assert.Equal(400, federated.GetProperty("samples").GetInt32());
        Assert.InRange(federated.GetProperty("accuracy").GetDouble(), 0.3, 1.0);
        var totals = root.GetProperty("totals");
        Assert.Equal((2, 2), (totals.GetProperty("rounds").GetInt32(), totals.GetProperty("attempts").GetInt32()));
        Assert.Equal(federated.GetProperty("accuracy").GetDouble(), totals.GetProperty("finalFederatedAccuracy").GetDouble());
        var csv = File.ReadAllLines(Path.Combine(Output, "metrics.csv"));
        Assert.Contains("federated_accuracy", csv[0], StringComparison.Ordinal);
        Assert.Equal(3, csv.Length - 1);
    }

    [Theory]
    [InlineData("sign-flip")]
    [InlineData("label-flip")]
    public async Task Simulate_WithAnAttack_NamesTheAttackersInMetricsJsonAndStillRuns(string kind)
    {
        // given 4 clients of which a quarter attack
        string[] args =
        [
            "simulate", "--rounds", "1", "--clients", "4", "--fraction-fit", "1", "--set", "simulation.attack.kind=" + kind,
            "--set", "simulation.attack.fraction=0.25", "--set", "simulation.dataset.train-limit=1000", "--set", "simulation.dataset.test-limit=200",
            "--output", Output,
        ];

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), args);

        // then metrics.json names the attack and its one attacker
        Assert.True(result.ExitCode == 0, result.Error);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "metrics.json")));
        var attackers = json.RootElement.GetProperty("attackers");
        Assert.Equal(kind.Replace("-", string.Empty, StringComparison.Ordinal), attackers.GetProperty("kind").GetString()!.ToLowerInvariant());
        Assert.Single(attackers.GetProperty("clients").EnumerateArray());
    }

    [Fact]
    public async Task Simulate_WhenDatasetIsMissing_ExitsOneNamingThePathAndThePackage()
    {
        // given
        var missing = Path.Combine(_folder.Path, "no-data");

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), "simulate", "--set", $"simulation.dataset.directory=\"{missing}\"", "--output", Output);

        // then
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"run failed: {missing}/", result.Error, StringComparison.Ordinal);
        Assert.Contains("dataset-fashion-mnist", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Simulate_WhenPartitionIsImpossibleForTheData_ExitsTwoNamingTheKeys()
    {
        // given: 10 clients x 2 shards = 20 shards cannot be cut from 15 samples
        string[] args =
        [
            "simulate", "--clients", "10", "--partition", "shards", "--set", "simulation.partitioning.shards-per-client=2",
            "--set", "simulation.dataset.train-limit=15", "--output", Output,
        ];

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), args);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.simulation.partitioning.shards-per-client'", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }
}
