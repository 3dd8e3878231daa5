using FedActors.Cli.Simulation;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

/// <summary>One benchmark cell through the real engine, on a small slice of Fashion-MNIST.</summary>
[Trait("Category", "E2E")]
public sealed class BenchmarkSmokeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Benchmark_OneSmallCellWithTheRealEngine_WritesTheCellAndTheTables()
    {
        // given 4 clients with two labels each, 2,000 training and 500 test images, 2 rounds
        var output = Path.Combine(_folder.Path, "bench");
        string[] args =
        [
            "benchmark", "--strategies", "fedavg", "--partitions", "label-quantity-2", "--seeds", "1",
            "--set", "run.rounds=2", "--set", "simulation.clients=4", "--set", "server.fraction-fit=0.5", "--set", "training.learning-rate=0.05",
            "--set", "simulation.dataset.train-limit=2000", "--set", "simulation.dataset.test-limit=500", "--output", output,
        ];

        // when
        var result = await CliRunner.RunAsync(new TorchSimulationEngine(), args);

        // then
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(
            ["metrics.csv", "metrics.json", "metrics.png", "model.safetensors"],
            Directory.GetFiles(Path.Combine(output, "fedavg", "label-quantity-2", "seed-1")).Select(Path.GetFileName).Order());
        Assert.Equal(["results.json", "results.md", "results.png"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        Assert.Contains("| fedavg | label-quantity-2 | 1 | ", File.ReadAllText(Path.Combine(output, "results.md")), StringComparison.Ordinal);
        Assert.Contains("on 500 test images (round 2)", result.Out, StringComparison.Ordinal);
    }
}
