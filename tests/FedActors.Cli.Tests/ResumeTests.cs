using System.Text.Json;
using FedActors.Cli.Simulation;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

/// <summary>Checkpoint and resume through the command line, with the real engine on a small slice of Fashion-MNIST.</summary>
[Trait("Category", "E2E")]
public sealed class ResumeTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Checkpoints => Path.Combine(_folder.Path, "checkpoints");

    [Theory]
    [InlineData("fedavg")]
    [InlineData("scaffold")]
    [InlineData("feddyn")]
    public async Task Resume_AfterAnInterruptedRun_EndsWithTheModelAndMetricsOfTheRunLeftAlone(string strategy)
    {
        // given an uninterrupted 4-round run, and the same run stopped after round 2 with checkpoints
        // (SCAFFOLD and FedDyn keep state on the server and on every client: both are in the checkpoint)
        var whole = await Run("whole", rounds: 4, "--strategy", strategy);
        var first = await Run("first", rounds: 2, "--strategy", strategy, "--checkpoints", Checkpoints);

        // when the stopped run is resumed to round 4
        var resumed = await Run("resumed", rounds: 4, "--strategy", strategy, "--resume", Checkpoints);

        // then the final model is the same to the bit, and so is every record but its timings
        Assert.True(whole.ExitCode == 0 && first.ExitCode == 0 && resumed.ExitCode == 0, whole.Error + first.Error + resumed.Error);
        Assert.Contains("resuming after round 2", resumed.Out, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(Output("whole", "model.safetensors")), File.ReadAllBytes(Output("resumed", "model.safetensors")));
        Assert.Equal(HistoryWithoutTimings("whole"), HistoryWithoutTimings("resumed"));
    }

    [Fact]
    public async Task NewRun_IntoAFolderHoldingAnotherRunsCheckpoints_ExitsTwoAndLeavesThemAlone()
    {
        // given a folder holding the checkpoints of a 3-round run
        Assert.Equal(0, (await Run("first", rounds: 3, "--checkpoints", Checkpoints)).ExitCode);

        // when a new run is started with the same folder for its checkpoints (not --resume)
        var result = await Run("second", rounds: 2, "--checkpoints", Checkpoints);

        // then it is refused, naming the folder, its newest round and what to do; the old checkpoints
        // are as they were (before, the new run deleted its own round 1 as older than them, and a later
        // --resume would have continued the old run)
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("already holds the checkpoints of a run, up to round 3", result.Error, StringComparison.Ordinal);
        Assert.Contains("--resume", result.Error, StringComparison.Ordinal);
        Assert.Equal(["round-000002", "round-000003"], Directory.GetDirectories(Checkpoints).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists(Output("second", string.Empty)));
    }

    [Fact]
    public async Task Resume_WhenAKeyThatChangesTheResultDiffers_ExitsTwoNamingTheKeyAndWritesNothing()
    {
        // given a checkpointed run
        Assert.Equal(0, (await Run("first", rounds: 1, "--checkpoints", Checkpoints)).ExitCode);

        // when it is resumed with another batch size
        var result = await Run("resumed", rounds: 2, "--resume", Checkpoints, "--batch-size", "16");

        // then it is refused, naming the key and both values, and nothing is written
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.training.batch-size' was 32 in the checkpointed run and is 16 now", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output("resumed", string.Empty)));
        Assert.Equal(["round-000001"], Directory.GetDirectories(Checkpoints).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Resume_WhenTheNewestCheckpointIsTruncated_TakesTheWholeOneBeforeItAndSaysSo()
    {
        // given checkpoints after rounds 1 and 2, the newer one truncated as by a crash
        Assert.Equal(0, (await Run("first", rounds: 2, "--checkpoints", Checkpoints)).ExitCode);
        var global = Path.Combine(Checkpoints, "round-000002", "global.safetensors");
        File.WriteAllBytes(global, File.ReadAllBytes(global)[..100]);

        // when the run is resumed
        var result = await Run("resumed", rounds: 3, "--resume", Checkpoints);

        // then it continues after round 1, naming the checkpoint it passed over and why
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("resuming after round 1", result.Out, StringComparison.Ordinal);
        Assert.Contains("round-000002: global.safetensors does not match the SHA-256", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_WhenNoCheckpointIsWhole_ExitsTwoSayingWhatIsWrong()
    {
        // given a checkpoint folder whose only checkpoint lost its manifest
        Assert.Equal(0, (await Run("first", rounds: 1, "--checkpoints", Checkpoints)).ExitCode);
        File.Delete(Path.Combine(Checkpoints, "round-000001", "checkpoint.json"));

        // when the run is resumed
        var result = await Run("resumed", rounds: 2, "--resume", Checkpoints);

        // then it is refused with the reason, and nothing is written
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("holds no whole checkpoint", result.Error, StringComparison.Ordinal);
        Assert.Contains("checkpoint.json is missing", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Output("resumed", string.Empty)));
    }

    [Fact]
    public async Task InitialModel_FromARunsFinalModel_StartsTheNextRunWhereItEnded()
    {
        // given a finished run's model.safetensors
        Assert.Equal(0, (await Run("first", rounds: 1)).ExitCode);
        var model = Output("first", "model.safetensors");

        // when a run starts from it
        var next = await Run("next", rounds: 1, "--initial-model", model);

        // then its round 0 (the initial model) has the first run's final test accuracy
        Assert.True(next.ExitCode == 0, next.Error);
        using var first = JsonDocument.Parse(File.ReadAllText(Output("first", "metrics.json")));
        using var second = JsonDocument.Parse(File.ReadAllText(Output("next", "metrics.json")));
        Assert.Equal(
            first.RootElement.GetProperty("totals").GetProperty("finalTestAccuracy").GetDouble(),
            second.RootElement.GetProperty("history")[0].GetProperty("testAccuracy").GetDouble());
    }

    [Fact]
    public async Task InitialModel_OfAnotherModel_FailsNamingTheFileAndTheTensor()
    {
        // given a model file of the mlp
        Assert.Equal(0, (await Run("mlp", rounds: 1, "--model", "mlp")).ExitCode);

        // when a logistic-regression run starts from it
        var result = await Run("lr", rounds: 1, "--initial-model", Output("mlp", "model.safetensors"));

        // then it fails, naming the file and the first tensor that differs
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("model.safetensors does not fit the configured model: tensor 0", result.Error, StringComparison.Ordinal);
    }

    private string Output(string run, string file) => Path.Combine(_folder.Path, run, file);

    private Task<CliRunner.Result> Run(string output, int rounds, params string[] more) => CliRunner.RunAsync(
        new TorchSimulationEngine(),
        [
            "simulate", "--rounds", rounds.ToString(System.Globalization.CultureInfo.InvariantCulture), "--clients", "4", "--fraction-fit", "0.5",
            "--learning-rate", "0.05", "--set", "simulation.dataset.train-limit=2000", "--set", "simulation.dataset.test-limit=500",
            "--output", Path.Combine(_folder.Path, output), .. more,
        ]);

    private List<string> HistoryWithoutTimings(string run)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Output(run, "metrics.json")));
        return json.RootElement.GetProperty("history").EnumerateArray().Select(r =>
        {
            var row = System.Text.Json.Nodes.JsonNode.Parse(r.GetRawText())!.AsObject();
            row.Remove("timings");
            foreach (var phase in row["phases"]!.AsArray())
            {
                phase!.AsObject().Remove("seconds");
            }

            return row.ToJsonString();
        }).ToList();
    }
}
