using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

/// <summary><c>fedactors server</c> when its run was stopped on request (SIGTERM, Ctrl-C): what it exits with, writes and says.</summary>
public sealed class ServerStopTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task AServerRunStoppedAfterRound2_ExitsStopped_WritesNoOutputs_AndSaysHowToResumeFromItsCheckpoints()
    {
        // given a server run with checkpoints that is stopped by SIGTERM after round 2 of 10
        var server = new FakeEngine(Rounds.History(2), failure: "stopped by SIGTERM") { StoppedAfter = 2 };
        var checkpoints = Path.Combine(_folder.Path, "ckpt");
        var outputs = Path.Combine(_folder.Path, "out");
        var conf = Path.Combine(ShippedConfigsTests.Hocon, "server.conf");

        // when the command ends
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(2)), server, "server", "--config", conf, "--checkpoints", checkpoints, "--output", outputs);

        // then it exits 3, writes no outputs, and names the round, the reason and the command that resumes it
        Assert.Equal(3, result.ExitCode);
        Assert.False(Directory.Exists(outputs));
        Assert.Contains("run stopped after round 2 of 10 (stopped by SIGTERM); no outputs were written", result.Error);
        Assert.Contains($"the checkpoint of round 2 is in {Path.GetFullPath(checkpoints)}", result.Error);
        Assert.Contains($"fedactors server --config {conf} ... --resume {checkpoints}", result.Error);
    }

    [Theory]
    [InlineData(0, true, "no round had completed, so there is nothing to resume")]
    [InlineData(3, false, "no checkpoint was written ('fedactors.run.checkpoint-directory' is not set: --checkpoints DIR)")]
    public async Task AServerRunStoppedWithNothingToResumeFrom_ExitsStoppedAndSaysSo(int stoppedAfter, bool checkpoints, string says)
    {
        // given a server run stopped before any round completed (with checkpoints on), or after round 3 without checkpoints
        var server = new FakeEngine(Rounds.History(stoppedAfter), failure: "stopped by SIGINT") { StoppedAfter = stoppedAfter };
        string[] options = checkpoints ? ["--checkpoints", Path.Combine(_folder.Path, "ckpt")] : [];

        // when the command ends
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), server, ["server", "--config", Path.Combine(ShippedConfigsTests.Hocon, "seed-example.conf"), .. options]);

        // then it exits 3 and says why the run cannot be resumed
        Assert.Equal(3, result.ExitCode);
        Assert.Contains(says, result.Error);
    }
}
