using System.Text.Json;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

public sealed class SimulateCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => Path.Combine(_folder.Path, "out");

    [Fact]
    public async Task Simulate_WhenRunSucceeds_WritesThreeFilesAndPrintsFinalAccuracy()
    {
        // given
        var engine = new FakeEngine(Rounds.History(3));

        // when
        var result = await CliRunner.RunAsync(engine, "simulate", "--rounds", "3", "--output", Output);

        // then
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Error);
        Assert.Contains("final test accuracy: 0.7000 on 10,000 test images (round 3)", result.Out, StringComparison.Ordinal);
        Assert.Contains("round 2/3  test acc 0.6000  test loss 0.5000  answered 1/2  dropped 1 (client-01: TimedOut)  1.75s", result.Out, StringComparison.Ordinal);
        Assert.Equal(["metrics.csv", "metrics.json", "metrics.png", "model.safetensors"], Directory.GetFiles(Output).Select(Path.GetFileName).Order());
        Assert.Equal(["out"], _folder.Entries().Where(e => !e.Contains('/', StringComparison.Ordinal)));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Output, "metrics.json")));
        Assert.Equal(3, json.RootElement.GetProperty("config").GetProperty("run").GetProperty("rounds").GetInt32());
    }

    [Theory]
    [InlineData("10", "0.25", 2)]
    [InlineData("100", "0.29", 29)]
    [InlineData("10", "0.7", 7)]
    public async Task Header_AnnouncesTheNumberOfClientsTheSamplerAsks(string clients, string fraction, int sampled)
    {
        // given a fraction that does not divide the client count (or is not exact in binary)
        var engine = new FakeEngine(Rounds.History(1));

        // when the run starts
        var result = await CliRunner.RunAsync(engine, "simulate", "--clients", clients, "--fraction-fit", fraction, "--set", "server.min-fit-clients=1", "--set", "server.min-available-clients=1", "--output", Output);

        // then the header says what the sampler will ask
        var ids = Enumerable.Range(0, int.Parse(clients, System.Globalization.CultureInfo.InvariantCulture)).Select(i => new FedActors.Core.Protocol.ClientId($"c{i}"));
        Assert.Equal(sampled, FedActors.Core.Server.ClientSampler.Sample(ids, double.Parse(fraction, System.Globalization.CultureInfo.InvariantCulture), 1, seed: 1).Length);
        Assert.Contains($", {sampled} clients per round,", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_WhenOptionsFileAndSetDisagree_OptionsWin()
    {
        // given
        var file = _folder.File("run.conf", "fedactors {\n  run.rounds = 4\n  training { batch-size = 16, local-epochs = 3 }\n  simulation.clients = 20\n}\n");
        var engine = new FakeEngine(Rounds.History(1));

        // when
        var result = await CliRunner.RunAsync(
            engine, "simulate", "--config", file, "--set", "training.batch-size=64", "--set", "run.rounds=5", "--rounds", "6",
            "--model", "cnn", "--partition", "dirichlet", "--alpha", "0.3", "--fraction-fit", "0.5", "--learning-rate", "0.1",
            "--parallelism", "1", "--seed", "7", "--output", Output);

        // then
        Assert.Equal(0, result.ExitCode);
        var s = engine.Settings!;
        Assert.Equal((6, 64, 3, 20), (s.Server.Rounds, s.Server.Training.BatchSize, s.Server.Training.LocalEpochs, s.Clients));
        Assert.Equal(("cnn", "dirichlet", 0.3, 0.5, 0.1f, 1, 7), (s.Model, s.Scheme, s.Alpha, s.Server.FractionFit, s.Server.Training.LearningRate, s.Parallelism, s.Server.Seed));
        Assert.Equal(1, engine.Config!.GetInt("fedactors.training-dispatcher.dedicated-thread-pool.thread-count"));
    }

    [Fact]
    public async Task Simulate_WhenConfigHasUnknownKey_ExitsTwoNamingKeyAndFileAndWritesNothing()
    {
        // given
        var file = _folder.File("typo.conf", "fedactors {\n  simulation {\n    clinets = 5\n  }\n}\n");
        var engine = new FakeEngine(Rounds.History(1));

        // when
        var result = await CliRunner.RunAsync(engine, "simulate", "--config", file, "--output", Output);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"unknown configuration key 'fedactors.simulation.clinets' in {file}:3", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(["typo.conf"], _folder.Entries());
    }

    [Fact]
    public async Task Simulate_WhenFileSetsIllTypedValue_ExitsTwoNamingKeyAndFile()
    {
        // given
        var file = _folder.File("ill.conf", "fedactors.training.batch-size = many\n");

        // when
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), "simulate", "--config", file, "--output", Output);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("configuration key 'fedactors.training.batch-size' is 'many', but must be a whole number", result.Error, StringComparison.Ordinal);
        Assert.Contains($"'fedactors.training.batch-size' is set by {file}:1", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Simulate_WhenSettingsAreImpossible_ExitsTwoNamingEachKeySource()
    {
        // when
        var result = await CliRunner.RunAsync(
            new FakeEngine(Rounds.History(1)), "simulate", "--clients", "3", "--set", "server.min-fit-clients=4", "--set", "server.min-available-clients=4", "--output", Output);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("impossible settings: 'fedactors.server.min-fit-clients' is 4, but only 3 clients exist", result.Error, StringComparison.Ordinal);
        Assert.Contains("'fedactors.server.min-fit-clients' is set by --set server.min-fit-clients=4", result.Error, StringComparison.Ordinal);
        Assert.Contains("'fedactors.simulation.clients' is set by --clients 3", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Theory]
    [InlineData("--rounds", "x", "--rounds must be a whole number, not 'x'")]
    [InlineData("--alpha", "small", "--alpha must be a number, not 'small'")]
    [InlineData("--no-such-option", "1", "--no-such-option")]
    public async Task Simulate_WhenAnOptionIsMalformed_ExitsTwo(string option, string value, string expected)
    {
        // when
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), "simulate", option, value, "--output", Output);

        // then
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Simulate_WhenRunFails_ExitsOneAndWritesNothing()
    {
        // given
        var engine = new FakeEngine(Rounds.History(2), failure: "round 3 failed: 1 of 2 clients answered, 2 needed");

        // when
        var result = await CliRunner.RunAsync(engine, "simulate", "--output", Output);

        // then
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("run failed: round 3 failed: 1 of 2 clients answered, 2 needed; no outputs were written", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output));
    }

    [Fact]
    public async Task Simulate_WhenEngineThrows_ExitsOneWithMessageOnly()
    {
        // given
        var engine = new ThrowingEngine(new FileNotFoundException("Fashion-MNIST file /data/train-images-idx3-ubyte.gz is missing: install the Debian package dataset-fashion-mnist"));

        // when
        var result = await CliRunner.RunAsync(engine, "simulate", "--output", Output);

        // then
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("run failed: Fashion-MNIST file /data/train-images-idx3-ubyte.gz is missing: install the Debian package dataset-fashion-mnist", result.Error.Trim());
        Assert.False(Directory.Exists(Output));
    }

    private sealed class ThrowingEngine(Exception exception) : FedActors.Cli.Simulation.ISimulationEngine
    {
        public Task<FedActors.Cli.Simulation.SimulationResult> RunAsync(
            FedActors.Cli.Configuration.SimulationSettings settings, FedActors.Cli.Simulation.SimulationStart start, Action<FedActors.Core.Metrics.RoundRecord> onRound, CancellationToken ct) =>
            Task.FromException<FedActors.Cli.Simulation.SimulationResult>(exception);
    }
}
