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
