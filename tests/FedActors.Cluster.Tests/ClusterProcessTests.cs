using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedActors.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The server and client commands as real processes (the CLI built once, started through
/// <c>dotnet fedactors.dll</c>) on loopback, with the shipped hocon/server.conf and client.conf:
/// client nodes killed, and the server killed and started again with <c>--resume</c>.
/// </summary>
/// <remarks>
/// Serial with the other cluster tests, as every test of this assembly (AssemblyInfo.cs): four processes share the cores.
/// Where a test needs the model of a run that was never stopped, it runs <c>fedactors simulate</c>
/// of the same configuration: the cluster is the simulation with the wire in between
/// (<see cref="ClusterRunTests"/>, README), so that is the model an uninterrupted cluster run ends with.
/// </remarks>
[Trait("Category", "Cluster")]
public sealed partial class ClusterProcessTests(ITestOutputHelper output, UninterruptedRun uninterrupted) : IDisposable, IClassFixture<UninterruptedRun>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    // The seed example on six clients, two per node, every registered client sampled in every
    // round; a round needs two updates and, after the first, four reachable clients, so the run
    // goes on without a node. 25 local epochs over 1,000 images make a round last about a second,
    // so a kill lands in one; its deadline (60 s) is far beyond any drop for a lost connection.
    // The registration timeout and the patience are bounds for a machine under heavy load (node
    // processes restarted after a server's stop take tens of seconds to start there), never waits.
    private static readonly string[] Run =
    [
        "--set", "simulation.clients=6",
        "--set", "server.min-available-clients=4",
        "--set", "server.fraction-fit=1.0",
        "--set", "server.min-fit-clients=2",
        "--set", "server.round-timeout=60s",
        "--set", "server.max-round-retries=0",
        "--set", "server.registration-timeout=120s",
        "--set", "run.rounds=4",
        "--set", "training.local-epochs=25",
        "--set", "simulation.dataset.train-limit=6000",
        "--set", "simulation.dataset.test-limit=1000",
    ];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("fedactors-cluster-procs-");
    private readonly List<CliProcess> _processes = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    [Theory]
    [InlineData("SIGKILL")]
    [InlineData("SIGTERM")]
    public async Task AClientNodeProcessKilledOrStoppedMidRound_IsDroppedWithinSeconds_AndTheServerProcessCompletesEveryRound(string signal)
    {
        // given a server process on a free loopback port (port 0: it prints the one it got) and
        // three client node processes of two clients each dialling it
        var metrics = Path.Combine(_folder.FullName, "out", "metrics.json");
        var server = Started("server", ["server", "--config", Hocon("server.conf"), "--plain", "--host", "127.0.0.1", "--port", "0", "--output", Path.GetDirectoryName(metrics)!, .. Run]);
        var seed = ServerAddress().Match((await server.WaitForLineAsync(ServerAddress().IsMatch, Patience)).Text).Value;
        var nodes = StartNodes(seed);

        // when the third node's process is SIGKILLed (no goodbye) or SIGTERMed (it leaves) as soon
        // as round 1 is recorded (round 2's training has just been sent out), and the server goes on
        var victim = ServerAddress().Match((await nodes[2].WaitForLineAsync(l => l.Contains("client node at ", StringComparison.Ordinal), Patience)).Text).Value;
        await server.WaitForLineAsync(l => l.StartsWith("round 1/4", StringComparison.Ordinal), Patience);
        if (signal == "SIGKILL")
        {
            nodes[2].Kill();
        }
        else
        {
            nodes[2].Terminate();
        }

        var killedAt = _clock.Elapsed;

        // (the server's gateway logs the drop: "Node <address> is unreachable (its connection closed)" or "Node <address> left")
        var droppedAt = (await server.WaitForLineAsync(l => l.Contains($"Node {victim} is unreachable", StringComparison.Ordinal) || l.Contains($"Node {victim} left", StringComparison.Ordinal), Patience)).At;
        var round2At = (await server.WaitForLineAsync(l => l.StartsWith("round 2/4", StringComparison.Ordinal), Patience)).At;
        var exitCode = await server.ExitCodeAsync(Patience);
        output.WriteLine($"{signal} at {killedAt.TotalSeconds:0.000}s, node dropped {(droppedAt - killedAt).TotalSeconds:0.000}s after it, round 2 recorded {(round2At - killedAt).TotalSeconds:0.000}s after it, run over at {_clock.Elapsed.TotalSeconds:0.000}s");

        // then the server dropped the node within 5 s of the signal (its log line reached us by
        // then), and exits 0 with every round completed, round 2 dropping the node's two clients
        // from its fit, for their lost node or because they left, long before its 60 s deadline,
        // and the rounds after it sampling the other four only
        Assert.True(exitCode == 0, $"the server exited {exitCode}:\n{server.Output()}");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(metrics));
        var history = document.RootElement.GetProperty("history").EnumerateArray().Where(r => r.GetProperty("round").GetInt32() > 0).ToList();
        Assert.Equal([1, 2, 3, 4], history.Where(r => r.GetProperty("failure").ValueKind == JsonValueKind.Null).Select(r => r.GetProperty("round").GetInt32()));
        Assert.Equal(4, document.RootElement.GetProperty("totals").GetProperty("rounds").GetInt32());
        var round2 = history.Single(r => r.GetProperty("round").GetInt32() == 2);
        var drops = round2.GetProperty("dropped").EnumerateArray().ToList();
        output.WriteLine($"round 2 dropped {round2.GetProperty("dropped")}, timings {round2.GetProperty("timings")}");
        Assert.Equal(["client-4", "client-5"], drops.Select(d => d.GetProperty("client").GetString()));
        Assert.All(drops, d => Assert.Equal("fit", d.GetProperty("phase").GetString()));
        Assert.All(drops, d => Assert.Contains(d.GetProperty("reason").GetString(), signal == "SIGKILL" ? new[] { "Unreachable", "Stopped" } : ["Stopped"]));
        Assert.Equal(Clients(0, 4), Answered(round2));
        Assert.True(droppedAt - killedAt < TimeSpan.FromSeconds(5), $"the server dropped the node {droppedAt - killedAt} after the {signal}");
        Assert.True(round2.GetProperty("timings").GetProperty("fitSeconds").GetDouble() < 30, "round 2's fit waited for its deadline");
        Assert.All(history.Where(r => r.GetProperty("round").GetInt32() > 2), r => Assert.Equal(Clients(0, 4), Answered(r)));

        // and the two nodes left are told the run is over, and exit 0; a node stopped by SIGTERM exits 3 (stopped), saying it left
        await ExitedAsync(nodes.Take(2), 0);
        if (signal == "SIGTERM")
        {
            await ExitedAsync([nodes[2]], 3);
            Assert.Contains("this node left the run", nodes[2].Output());
        }
    }

    [Fact]
    public async Task AClientNodeProcessKilledMidRound_IsReplacedByANewProcess_WhoseClientsTakePartInTheNextRound()
    {
        // given a server whose rounds need all six clients reachable, and three client node processes
        var metrics = Path.Combine(_folder.FullName, "out", "metrics.json");
        var server = Started("server", ["server", "--config", Hocon("server.conf"), "--plain", "--host", "127.0.0.1", "--port", "0", "--output", Path.GetDirectoryName(metrics)!, .. Run, "--set", "server.min-available-clients=6"]);
        var seed = ServerAddress().Match((await server.WaitForLineAsync(ServerAddress().IsMatch, Patience)).Text).Value;
        var nodes = StartNodes(seed);

        // when the third node's process is SIGKILLed in round 2, and a new process for its clients starts once the server dropped them
        var victim = ServerAddress().Match((await nodes[2].WaitForLineAsync(l => l.Contains("client node at ", StringComparison.Ordinal), Patience)).Text).Value;
        await server.WaitForLineAsync(l => l.StartsWith("round 1/4", StringComparison.Ordinal), Patience);
        nodes[2].Kill();
        await server.WaitForLineAsync(l => l.Contains($"Node {victim} is unreachable", StringComparison.Ordinal), Patience);
        var replacement = Started("replacement node", ["client", "--config", Hocon("client.conf"), "--seed", seed, "--host", "127.0.0.1", "--first-client-id", "4", "--clients-on-node", "2", .. Run]);

        // then round 2 completes without the killed node's clients, and every later round, which waited
        // for six reachable clients, has the replacement's clients too; the run ends and every live node exits 0
        var exitCode = await server.ExitCodeAsync(Patience);
        Assert.True(exitCode == 0, $"the server exited {exitCode}:\n{server.Output()}");
        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(metrics));
        var history = document.RootElement.GetProperty("history").EnumerateArray().Where(r => r.GetProperty("round").GetInt32() > 0).ToList();
        Assert.Equal([1, 2, 3, 4], history.Where(r => r.GetProperty("failure").ValueKind == JsonValueKind.Null).Select(r => r.GetProperty("round").GetInt32()));
        Assert.Equal(Clients(0, 4), Answered(history.Single(r => r.GetProperty("round").GetInt32() == 2)));
        Assert.All(history.Where(r => r.GetProperty("round").GetInt32() > 2), r => Assert.Equal(Clients(0, 6), Answered(r)));
        await ExitedAsync([nodes[0], nodes[1], replacement], 0);
    }

    [Fact]
    public async Task AServerKilledAfterRound2_AndRestartedWithResume_GetsTheRunningNodesBack_AndEndsWithTheUninterruptedModel()
    {
        // given a server on a free port, checkpointing every round, with three client nodes of two clients each
        var port = FreePort();
        var checkpoints = Path.Combine(_folder.FullName, "checkpoints");
        var outputs = Path.Combine(_folder.FullName, "cluster");
        var first = StartServer("server", port, ["--checkpoints", checkpoints, "--output", outputs]);
        await first.WaitForLineAsync(l => l.Contains("server node listening at", StringComparison.Ordinal), Patience);
        var nodes = StartNodes($"akka.tcp://fedactors@127.0.0.1:{port}");

        // when the server process is SIGKILLed once round 2 is recorded (and so checkpointed)
        await first.WaitForLineAsync(l => l.StartsWith("round 2/4", StringComparison.Ordinal), Patience);
        first.Kill();
        var killedAt = _clock.Elapsed;
        await first.ExitCodeAsync(Patience);

        // and a new server process starts at the same address with --resume, the nodes untouched
        var second = StartServer("resumed server", port, ["--resume", checkpoints, "--output", outputs]);
        await second.WaitForLineAsync(l => l.Contains("resuming after round 2", StringComparison.Ordinal), Patience);
        var round3 = await second.WaitForLineAsync(l => l.StartsWith("round 3/4", StringComparison.Ordinal), Patience);
        var exitCode = await second.ExitCodeAsync(Patience);
        output.WriteLine($"killed at {killedAt.TotalSeconds:0.0}s; the resumed server recorded round 3 at {round3.At.TotalSeconds:0.0}s and exited at {_clock.Elapsed.TotalSeconds:0.0}s");

        // then the resumed run trains rounds 3 and 4 only, with every client of the nodes that
        // never restarted, and ends with the uninterrupted run's model, byte for byte
        Assert.True(exitCode == 0, $"the resumed server exited {exitCode}:\n{second.Output()}");
        await AssertResumedAfterRound2Async(second, outputs);

        // and the nodes, which were never restarted, are told the run is over and exit 0
        await ExitedAsync(nodes, 0);
    }

    [Fact]
    public async Task AServerStoppedBySigtermInRound2_FinishesIt_ExitsStoppedSayingHowToResume_AndTheResumedRunEndsWithTheUninterruptedModel()
    {
        // given a server on a free port, checkpointing every round, finishing the round in progress
        // when stopped (on-stop's default), with three client nodes of two clients each
        var port = FreePort();
        var seed = $"akka.tcp://fedactors@127.0.0.1:{port}";
        var checkpoints = Path.Combine(_folder.FullName, "checkpoints");
        var outputs = Path.Combine(_folder.FullName, "cluster");
        var first = StartServer("server", port, ["--checkpoints", checkpoints, "--output", outputs]);
        await first.WaitForLineAsync(l => l.Contains("server node listening at", StringComparison.Ordinal), Patience);
        var nodes = StartNodes(seed);

        // when the server process gets SIGTERM as soon as round 1 is recorded (round 2's training is out)
        await first.WaitForLineAsync(l => l.StartsWith("round 1/4", StringComparison.Ordinal), Patience);
        first.Terminate();
        var stoppedAt = _clock.Elapsed;
        var exitCode = await first.ExitCodeAsync(Patience);
        output.WriteLine($"SIGTERM at {stoppedAt.TotalSeconds:0.0}s; the server exited {exitCode} at {_clock.Elapsed.TotalSeconds:0.0}s");

        // then it finishes round 2, writes its checkpoint, exits 3 (stopped) saying how to resume,
        // writes no outputs, and the nodes are told the run is stopped and exit 3 too
        Assert.True(exitCode == 3, $"the server exited {exitCode}:\n{first.Output()}");
        Assert.Contains(first.Output().Split('\n'), l => l.StartsWith("round 2/4", StringComparison.Ordinal));
        Assert.DoesNotContain(first.Output().Split('\n'), l => l.StartsWith("round 3/4", StringComparison.Ordinal));
        Assert.Contains("run stopped after round 2 of 4 (stopped by SIGTERM)", first.Output());
        Assert.Contains($"--resume {checkpoints}", first.Output());
        Assert.False(File.Exists(Path.Combine(outputs, "model.safetensors")));
        await ExitedAsync(nodes, 3);
        Assert.All(nodes, n => Assert.Contains("the server stopped the run: it was stopped by SIGTERM after round 2", n.Output()));

        // and when the server is started again with --resume, and the nodes with it
        var second = StartServer("resumed server", port, ["--resume", checkpoints, "--output", outputs]);
        await second.WaitForLineAsync(l => l.Contains("resuming after round 2", StringComparison.Ordinal), Patience);
        var restarted = StartNodes(seed);
        var resumedExit = await second.ExitCodeAsync(Patience);

        // then the run completes from round 3 to the uninterrupted run's model, byte for byte
        Assert.True(resumedExit == 0, $"the resumed server exited {resumedExit}:\n{second.Output()}");
        await AssertResumedAfterRound2Async(second, outputs);
        await ExitedAsync(restarted, 0);
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _folder.Delete(recursive: true);
    }

    // A port free now; the server binds it (and binds it again after a restart).
    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    // The resumed server trained rounds 3 and 4 only; metrics.json has all four rounds, each
    // answered by all six clients; the model is the uninterrupted run's, byte for byte.
    private async Task AssertResumedAfterRound2Async(CliProcess resumed, string outputs)
    {
        Assert.DoesNotContain(resumed.Output().Split('\n'), l => l.StartsWith("round 1/4", StringComparison.Ordinal) || l.StartsWith("round 2/4", StringComparison.Ordinal));
        using (var metrics = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outputs, "metrics.json"))))
        {
            var rounds = metrics.RootElement.GetProperty("history").EnumerateArray().Where(r => r.GetProperty("round").GetInt32() > 0).ToList();
            Assert.Equal([1, 2, 3, 4], rounds.Select(r => r.GetProperty("round").GetInt32()));
            Assert.All(rounds, r => Assert.Equal(6, r.GetProperty("answered").GetArrayLength()));
        }

        Assert.Equal(await uninterrupted.ModelAsync(Run), await File.ReadAllBytesAsync(Path.Combine(outputs, "model.safetensors")));
    }

    private static async Task ExitedAsync(IEnumerable<CliProcess> processes, int expected)
    {
        foreach (var process in processes)
        {
            var code = await process.ExitCodeAsync(Patience);
            Assert.True(code == expected, $"{process.Name} exited {code}, not {expected}:\n{process.Output()}");
        }
    }

    private CliProcess StartServer(string name, int port, string[] options) =>
        Started(name, ["server", "--config", Hocon("server.conf"), "--plain", "--host", "127.0.0.1", "--port", $"{port}", .. options, .. Run]);

    // Three client nodes of two clients each: client-0 and client-1 on node 0, and so on.
    private List<CliProcess> StartNodes(string seed) => [.. Enumerable.Range(0, 3).Select(n => Started(
        $"client node {n}",
        ["client", "--config", Hocon("client.conf"), "--seed", seed, "--host", "127.0.0.1", "--first-client-id", $"{2 * n}", "--clients-on-node", "2", .. Run]))];

    private static string Hocon(string file) => Path.Combine(CliProcess.RepositoryRoot, "hocon", file);

    private static string[] Clients(int from, int count) => [.. Enumerable.Range(from, count).Select(i => $"client-{i}")];

    private static string[] Answered(JsonElement round) => [.. round.GetProperty("answered").EnumerateArray().Select(c => c.GetString()!)];

    // "server node listening at akka.tcp://fedactors@127.0.0.1:40123; waiting for 6 clients: ..."
    [GeneratedRegex(@"akka\.tcp://[A-Za-z0-9_-]+@127\.0\.0\.1:[1-9][0-9]*")]
    private static partial Regex ServerAddress();

    private CliProcess Started(string name, IEnumerable<string> arguments)
    {
        var process = CliProcess.Start(name, _clock, _folder.FullName, arguments);
        _processes.Add(process);
        return process;
    }
}
