using System.Collections.Immutable;
using System.Text.Json;
using FedActors.Cli.Output;
using FedActors.Cli.Tests.Support;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Tests;

/// <summary><c>fedactors benchmark</c> through the command line, on scripted engines.</summary>
public sealed class BenchmarkCommandTests : IDisposable
{
    private static readonly string[] CellFiles = ["metrics.csv", "metrics.json", "metrics.png", "model.safetensors"];

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => Path.Combine(_folder.Path, "bench");

    [Fact]
    public async Task Benchmark_RunsEveryCellOfTheGrid_OneAfterAnotherWithItsOverridesOverConfigAndSet()
    {
        // given a --config file and a --set under the grid's own keys
        var file = _folder.File("base.conf", "fedactors {\n  training.batch-size = 16\n  strategy.name = fedprox\n  run.seed = 99\n}\n");
        var engine = new ScriptedEngine();

        // when
        var result = await CliRunner.RunAsync(
            engine, "benchmark", "--config", file, "--set", "training.learning-rate=0.05", "--set", "run.rounds=3",
            "--strategies", "fedavg,scaffold", "--partitions", "dirichlet-0.3,label-quantity-3", "--seeds", "1,7", "--output", Output);

        // then every cell ran once, partition by partition, the seeds of a row together, with its own keys winning
        Assert.True(result.ExitCode == 0, result.Error);
        (string, string, double, int, int)[] expected =
        [
            ("fedavg", "dirichlet", 0.3, 2, 1), ("fedavg", "dirichlet", 0.3, 2, 7), ("scaffold", "dirichlet", 0.3, 2, 1), ("scaffold", "dirichlet", 0.3, 2, 7),
            ("fedavg", "label-quantity", 0.5, 3, 1), ("fedavg", "label-quantity", 0.5, 3, 7), ("scaffold", "label-quantity", 0.5, 3, 1), ("scaffold", "label-quantity", 0.5, 3, 7),
        ];
        Assert.Equal(expected, engine.Runs.Select(s => (s.Strategy.Name, s.Scheme, s.Alpha, s.LabelsPerClient, s.Server.Seed)));
        Assert.All(engine.Runs, s => Assert.Equal((16, 0.05f, 3), (s.Server.Training.BatchSize, s.Server.Training.LearningRate, s.Server.Rounds)));
        Assert.Equal(
            expected.Select(e => Path.Combine(Output, e.Item1, e.Item2 == "dirichlet" ? "dirichlet-0.3" : "label-quantity-3", $"seed-{e.Item5}")),
            engine.Runs.Select(s => s.OutputDirectory));
        Assert.All(engine.Runs, s => Assert.Equal(CellFiles, Directory.GetFiles(s.OutputDirectory).Select(Path.GetFileName).Order()));
        Assert.Equal(["results.json", "results.md", "results.png"], Directory.GetFiles(Output).Select(Path.GetFileName).Order());
        Assert.Contains($"[6/8] fedavg label-quantity-3 seed 7: running into {Path.Combine(Output, "fedavg", "label-quantity-3", "seed-7")}", result.Out, StringComparison.Ordinal);
        Assert.Contains("round 2/3  test acc 0.6000", result.Out, StringComparison.Ordinal);
        Assert.Contains("[8/8] scaffold label-quantity-3 seed 7: done in ", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iid", "iid", "iid", "fedactors.simulation.partitioning.scheme", "iid")]
    [InlineData("dirichlet-0.50", "dirichlet-0.5", "dirichlet", "fedactors.simulation.partitioning.alpha", "0.5")]
    [InlineData("label-quantity-2", "label-quantity-2", "label-quantity", "fedactors.simulation.partitioning.labels-per-client", "2")]
    [InlineData("shards-4", "shards-4", "shards", "fedactors.simulation.partitioning.shards-per-client", "4")]
    [InlineData("quantity-skew-1e-1", "quantity-skew-0.1", "quantity-skew", "fedactors.simulation.partitioning.alpha", "0.1")]
    public async Task Benchmark_APartitionName_SetsItsSchemeAndParameterAndNamesTheFolder(string name, string folder, string scheme, string key, string value)
    {
        // given
        var engine = new ScriptedEngine();

        // when
        var result = await CliRunner.RunAsync(engine, "benchmark", "--strategies", "fedavg", "--partitions", name, "--seeds", "5", "--output", Output);

        // then
        Assert.True(result.ExitCode == 0, result.Error);
        var run = Assert.Single(engine.Runs);
        Assert.Equal(scheme, run.Scheme);
        Assert.Equal(value, run.Runtime.Config.GetString(key));
        Assert.Equal(Path.Combine(Output, "fedavg", folder, "seed-5"), run.OutputDirectory);
    }

    [Fact]
    public async Task ResultsMd_BestAndFinalOverSeeds_AreTheMeanAndSampleStdOfAHandComputation()
    {
        // given hand-made histories: the best is not always the last round, and one seed ties its best
        var histories = new Dictionary<(string, int), double[]>
        {
            [("fedavg", 1)] = [0.70, 0.80, 0.79],
            [("fedavg", 2)] = [0.84, 0.83, 0.83],
            [("fedavg", 3)] = [0.75, 0.82, 0.81],
            [("fedprox", 1)] = [0.80, 0.85, 0.84],
            [("fedprox", 2)] = [0.86, 0.86, 0.85],
            [("fedprox", 3)] = [0.88, 0.89, 0.90],
        };
        var engine = new ScriptedEngine(s => ScriptedEngine.Accuracies(histories[(s.Strategy.Name, s.Server.Seed)]));

        // when
        var result = await CliRunner.RunAsync(engine, "benchmark", "--strategies", "fedavg,fedprox", "--partitions", "iid", "--set", "run.rounds=3", "--output", Output);

        // then, by hand:
        // fedavg bests 80, 84, 82: mean 82, std sqrt((4 + 4 + 0) / 2) = 2; finals 79, 83, 81: mean 81, std 2.
        // fedprox bests 85, 86, 90: mean 87, std sqrt((4 + 1 + 9) / 2) = 2.6458; finals 84, 85, 90: mean 86.333,
        // std sqrt((2.333^2 + 1.333^2 + 3.667^2) / 2) = sqrt(20.667 / 2) = 3.2146.
        Assert.True(result.ExitCode == 0, result.Error);
        var markdown = File.ReadAllText(Path.Combine(Output, "results.md"));
        Assert.Contains("| fedavg | iid | 3 | 82.00 ± 2.00 | 81.00 ± 2.00 | 1: 80.00 (r2), 2: 84.00 (r1), 3: 82.00 (r2) | 3 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| fedprox | iid | 3 | 87.00 ± 2.65 | 86.33 ± 3.21 | 1: 85.00 (r2), 2: 86.00 (r1), 3: 90.00 (r3) | 3 |", markdown, StringComparison.Ordinal);

        // and the published figures stand next to them, with the difference of the means
        Assert.Contains("| fedavg | iid | 89.23 ± 0.45 | 82.00 ± 2.00 | 3 | -7.23 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| fedprox | iid | 89.42 ± 0.09 | 87.00 ± 2.65 | 3 | -2.42 |", markdown, StringComparison.Ordinal);
        Assert.Contains("arXiv:2102.02079", markdown, StringComparison.Ordinal);
        Assert.Contains("| fedprox | iid | 3 | 87.00 ± 2.65 |", result.Out, StringComparison.Ordinal);

        // and results.json holds every cell's accuracy per round, from which the same tables are rebuilt
        var json = File.ReadAllText(Path.Combine(Output, "results.json"));
        using (var document = JsonDocument.Parse(json))
        {
            var cell = document.RootElement.GetProperty("cells").EnumerateArray().Single(c => c.GetProperty("strategy").GetString() == "fedprox" && c.GetProperty("seed").GetInt32() == 3);
            Assert.Equal([0.88, 0.89, 0.90], cell.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("testAccuracy").GetDouble()));
            Assert.Equal([1, 2, 3], cell.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        }

        Assert.Equal(markdown, BenchmarkTable.Render(BenchmarkResults.FromJson(json)));
    }

    [Fact]
    public void SeedStatistic_OfValues_IsTheMeanAndTheSampleStandardDeviation()
    {
        // when
        var three = SeedStatistic.Of([0.85, 0.86, 0.90])!.Value;
        var one = SeedStatistic.Of([0.5])!.Value;

        // then: n - 1 in the denominator, and no deviation for a single seed
        Assert.Equal(0.87, three.Mean, 12);
        Assert.Equal(Math.Sqrt(0.0007), three.Std!.Value, 12);
        Assert.Equal((1, 0.5, null), (one.Count, one.Mean, one.Std));
        Assert.Null(SeedStatistic.Of([]));
    }

    [Fact]
    public async Task Benchmark_WhenCellsArePresent_KeepsThemRunsTheRestAndMergesEveryCellIntoTheTables()
    {
        // given one cell already in the folder, from an earlier day's run of the same configuration
        var conf = Path.Combine(ShippedConfigsTests.Hocon, "niid-bench.conf");
        string[] common = ["benchmark", "--config", conf, "--set", "run.rounds=3", "--strategies", "fedavg", "--partitions", "label-quantity-2", "--output", Output];
        var first = await CliRunner.RunAsync(new ScriptedEngine(s => ScriptedEngine.Accuracies(0.5, 0.6, 0.7)), [.. common, "--seeds", "1"]);
        Assert.True(first.ExitCode == 0, first.Error);
        var before = File.ReadAllText(Path.Combine(Output, "fedavg", "label-quantity-2", "seed-1", "metrics.json"));

        // when the three seeds are asked for
        var engine = new ScriptedEngine(s => ScriptedEngine.Accuracies(0.6, 0.8, 0.7));
        var second = await CliRunner.RunAsync(engine, [.. common, "--seeds", "1,2,3"]);

        // then only the missing two ran, the kept cell is untouched and without a warning, and the row has all three
        Assert.True(second.ExitCode == 0, second.Error);
        Assert.Equal([2, 3], engine.Runs.Select(s => s.Server.Seed));
        Assert.Equal(string.Empty, second.Error);
        Assert.Contains("2 to run, 1 present and kept", second.Out, StringComparison.Ordinal);
        Assert.Contains("[1/3] fedavg label-quantity-2 seed 1: present in ", second.Out, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(Output, "fedavg", "label-quantity-2", "seed-1", "metrics.json")));
        Assert.Contains("| fedavg | label-quantity-2 | 3 | 76.67 ± 5.77 | 70.00 ± 0.00 | 1: 70.00 (r3), 2: 80.00 (r2), 3: 80.00 (r2) | 3 |", File.ReadAllText(Path.Combine(Output, "results.md")), StringComparison.Ordinal);

        // and a single cell run alone (--cell) with --force runs just that one and merges again
        var alone = new ScriptedEngine(s => ScriptedEngine.Accuracies(0.9, 0.9, 0.9));
        var third = await CliRunner.RunAsync(alone, [.. common, "--seeds", "1,2,3", "--cell", "fedavg/label-quantity-2/seed-1", "--force"]);
        Assert.True(third.ExitCode == 0, third.Error);
        Assert.Equal([1], alone.Runs.Select(s => s.Server.Seed));
        Assert.Contains("| fedavg | label-quantity-2 | 3 | 83.33 ± 5.77 |", File.ReadAllText(Path.Combine(Output, "results.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmark_WhenAKeptCellRanWithAnotherConfiguration_WarnsAndKeepsIt()
    {
        // given a cell run with another learning rate
        string[] cell = ["benchmark", "--strategies", "fedavg", "--partitions", "iid", "--seeds", "1", "--output", Output];
        var first = await CliRunner.RunAsync(new ScriptedEngine(), [.. cell, "--set", "training.learning-rate=0.05", "--set", "run.rounds=3"]);
        Assert.True(first.ExitCode == 0, first.Error);

        // when the same cell is asked for with the default learning rate and rounds
        var engine = new ScriptedEngine();
        var result = await CliRunner.RunAsync(engine, cell);

        // then it is kept, and the warnings say why the tables may mislead
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(engine.Runs);
        Assert.Contains("warning: fedavg/iid/seed-1 was run with another configuration than this command's", result.Error, StringComparison.Ordinal);
        Assert.Contains("warning: fedavg/iid/seed-1 has 3 rounds and this command's configuration 5", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmark_WhenACellFails_RunsTheOthersTabulatesThemAndExitsOne()
    {
        // given an engine whose seed-2 runs fail
        var engine = new ScriptedEngine(_ => Rounds.History(2), s => s.Server.Seed == 2 ? "round 3 failed: 1 of 2 clients answered, 2 needed" : null);

        // when
        var result = await CliRunner.RunAsync(engine, "benchmark", "--strategies", "fedavg", "--partitions", "iid,shards-2", "--output", Output);

        // then
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(6, engine.Runs.Count);
        Assert.Contains("2 cell(s) failed: fedavg/iid/seed-2, fedavg/shards-2/seed-2; run the same command again to retry them", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Output, "fedavg", "iid", "seed-2")));
        var markdown = File.ReadAllText(Path.Combine(Output, "results.md"));
        Assert.Contains("| fedavg | iid | 2 | 60.00 ± 0.00 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| fedavg | shards-2 | 2 |", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--partitions", "iid,dirichlet", "unknown partition 'dirichlet' in --partitions")]
    [InlineData("--partitions", "dirichlet-x", "partition 'dirichlet-x' in --partitions: 'x' is not a number > 0")]
    [InlineData("--partitions", "dirichlet-0", "partition 'dirichlet-0' in --partitions: '0' is not a number > 0")]
    [InlineData("--partitions", "label-quantity-0", "partition 'label-quantity-0' in --partitions: '0' is not a whole number >= 1")]
    [InlineData("--partitions", "shards-2.5", "partition 'shards-2.5' in --partitions: '2.5' is not a whole number >= 1")]
    [InlineData("--partitions", "pathological-1", "unknown partition 'pathological-1' in --partitions; the partitions are iid, dirichlet-<alpha>")]
    [InlineData("--strategies", "fedavg,fedfoo", "unknown strategy 'fedfoo' in --strategies; the strategies are fedavg, fedprox")]
    [InlineData("--cell", "fedfoo/iid/1", "unknown strategy 'fedfoo' in --cell")]
    [InlineData("--cell", "fedavg/iid/9", "--cell fedavg/iid/9 matches no cell of the grid")]
    [InlineData("--seeds", "1,x", "seed 'x' in --seeds is not a whole number")]
    public async Task Benchmark_WhenANameIsBad_ExitsTwoNamingItAndWritesNothing(string option, string value, string expected)
    {
        // given
        var engine = new ScriptedEngine();

        string[] strategies = option == "--strategies" ? [] : ["--strategies", "fedavg"];

        // when
        var result = await CliRunner.RunAsync(engine, ["benchmark", .. strategies, option, value, "--output", Output]);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: " + expected, result.Error, StringComparison.Ordinal);
        Assert.Empty(engine.Runs);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public async Task Benchmark_WhenALaterCellsConfigurationIsImpossible_ExitsTwoBeforeAnyCellRuns()
    {
        // given a grid whose first cells are fine and whose last partition has more labels than Fashion-MNIST
        var engine = new ScriptedEngine();

        // when
        var result = await CliRunner.RunAsync(engine, "benchmark", "--strategies", "fedavg", "--partitions", "iid,label-quantity-11", "--output", Output);

        // then the error names the cell, the key and the partition that set it, and nothing ran
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: cell fedavg/label-quantity-11/seed-1: configuration key 'fedactors.simulation.partitioning.labels-per-client' is '11'", result.Error, StringComparison.Ordinal);
        Assert.Contains("'fedactors.simulation.partitioning.labels-per-client' is set by --partitions label-quantity-11", result.Error, StringComparison.Ordinal);
        Assert.Empty(engine.Runs);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void PublishedFigures_AreTheCitedNiidBenchFashionMnistNumbers()
    {
        // given the figures of Li et al. 2022 (arXiv:2102.02079) as Flower's baseline reproduced them (FedAvg / FedProx / SCAFFOLD / FedNova)
        (string Partition, double[] Means)[] cited =
        [
            ("iid", [89.23, 89.42, 89.33, 89.36]),
            ("dirichlet-0.5", [88.09, 88.15, 88.44, 88.22]),
            ("label-quantity-2", [78.10, 78.05, 33.80, 71.67]),
            ("label-quantity-3", [82.43, 82.99, 80.32, 81.97]),
        ];
        string[] strategies = ["fedavg", "fedprox", "scaffold", "fednova"];

        // then each is the published one, and there are no others
        foreach (var (partition, means) in cited)
        {
            Assert.Equal(means, strategies.Select(s => NiidBenchFigures.Find(s, partition)!.Mean));
        }

        Assert.Equal(16, NiidBenchFigures.FashionMnist.Count);
        Assert.Equal(strategies, NiidBenchFigures.Strategies);
        Assert.Equal(cited.Select(c => c.Partition), NiidBenchFigures.Partitions);
        Assert.Contains("arXiv:2102.02079", NiidBenchFigures.Source, StringComparison.Ordinal);
        Assert.Contains("adap/flower, baselines/niid_bench/README.md", NiidBenchFigures.Source, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Benchmark_WithoutGridOptions_RunsThePublishedGridOfFortyEightCells()
    {
        // given
        var engine = new ScriptedEngine(s => ImmutableArray.Create<RoundRecord>(Rounds.WithOneDrop(1, 0.5, 1.0)));

        // when only one cell of the default grid is asked for
        var result = await CliRunner.RunAsync(engine, "benchmark", "--cell", "scaffold/label-quantity-3/2", "--set", "run.rounds=1", "--output", Output);

        // then the default grid had it, and it ran alone
        Assert.True(result.ExitCode == 0, result.Error);
        var run = Assert.Single(engine.Runs);
        Assert.Equal(("scaffold", "label-quantity", 3, 2), (run.Strategy.Name, run.Scheme, run.LabelsPerClient, run.Server.Seed));
        Assert.Contains("FedActors benchmark (embedded defaults + --set run.rounds=1): 1 cell into", result.Out, StringComparison.Ordinal);
    }
}
