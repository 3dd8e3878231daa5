using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using FedActors.Cluster.Tests.Support;
using Xunit.Abstractions;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The server and client commands as real processes (the CLI built once, started through
/// <c>dotnet fedactors.dll</c>) on loopback, with the shipped hocon/server.conf and client.conf.
/// </summary>
/// <remarks>Serial with the other cluster tests, as every test of this assembly (AssemblyInfo.cs): four processes share the cores.</remarks>
[Trait("Category", "Cluster")]
public sealed partial class ClusterProcessTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // The seed example on six clients, two per node, every registered client sampled in every
    // round; a round needs two updates and, after the first, four reachable clients, so the run
    // goes on without a node. 25 local epochs over 1,000 images make a round last about a second,
    // so a kill lands in one; its deadline (60 s) is far beyond any drop for a lost connection.
    private static readonly string[] Run =
    [
        "--set", "simulation.clients=6",
        "--set", "server.min-available-clients=4",
        "--set", "server.fraction-fit=1.0",
        "--set", "server.min-fit-clients=2",
        "--set", "server.round-timeout=60s",
        "--set", "server.max-round-retries=0",
        "--set", "server.registration-timeout=30s",
        "--set", "run.rounds=4",
        "--set", "training.local-epochs=25",
        "--set", "simulation.dataset.train-limit=6000",
        "--set", "simulation.dataset.test-limit=1000",
    ];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("fedactors-cluster-procs-");
    private readonly List<CliProcess> _processes = [];

    [Fact]
    public async Task AClientNodeProcessKilledMidRound_IsDroppedWithinSeconds_AndTheServerProcessCompletesEveryRound()
    {
        // given a server process on a free loopback port (port 0: it prints the one it got) and
        // three client node processes of two clients each dialling it
        var clock = Stopwatch.StartNew();
        var hocon = Path.Combine(CliProcess.RepositoryRoot, "hocon");
        var metrics = Path.Combine(_folder.FullName, "out", "metrics.json");
        var server = Started("server", clock, ["server", "--config", Path.Combine(hocon, "server.conf"), "--plain", "--host", "127.0.0.1", "--port", "0", "--output", Path.GetDirectoryName(metrics)!, .. Run]);
        var seed = ServerAddress().Match((await server.WaitForLineAsync(ServerAddress().IsMatch, Patience)).Text).Value;
        var nodes = Enumerable.Range(0, 3).Select(n => Started(
            $"client node {n}",
            clock,
            ["client", "--config", Path.Combine(hocon, "client.conf"), "--seed", seed, "--host", "127.0.0.1", "--first-client-id", $"{2 * n}", "--clients-on-node", "2", .. Run])).ToList();

        // when the third node's process is SIGKILLed as soon as round 1 is recorded (round 2's
        // training has just been sent out), and the server goes on
        await server.WaitForLineAsync(l => l.StartsWith("round 1/4", StringComparison.Ordinal), Patience);
        nodes[2].Kill();
        var killedAt = clock.Elapsed;
        var round2At = (await server.WaitForLineAsync(l => l.StartsWith("round 2/4", StringComparison.Ordinal), Patience)).At;
        var exitCode = await server.ExitCodeAsync(Patience);
        output.WriteLine($"kill at {killedAt.TotalSeconds:0.000}s, round 2 recorded {(round2At - killedAt).TotalSeconds:0.000}s after it, run over at {clock.Elapsed.TotalSeconds:0.000}s");

        // then the server exits 0 with every round completed, round 2 dropping the killed node's
        // two clients for their lost node (not at the deadline: round 2 was recorded within 5 s of
        // the kill, so the drop came sooner), and the rounds after it sampling the other four only
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
        Assert.All(drops, d => Assert.Contains(d.GetProperty("reason").GetString(), new[] { "Unreachable", "Stopped" }));
        Assert.Equal(Clients(0, 4), Answered(round2));
        Assert.True(round2At - killedAt < TimeSpan.FromSeconds(5), $"round 2 was recorded {round2At - killedAt} after the kill");
        Assert.All(history.Where(r => r.GetProperty("round").GetInt32() > 2), r => Assert.Equal(Clients(0, 4), Answered(r)));

        // and the two nodes left are told the run is over, and exit 0
        foreach (var node in nodes.Take(2))
        {
            var code = await node.ExitCodeAsync(Patience);
            Assert.True(code == 0, $"{node.Name} exited {code}:\n{node.Output()}");
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        _folder.Delete(recursive: true);
    }

    private static string[] Clients(int from, int count) => [.. Enumerable.Range(from, count).Select(i => $"client-{i}")];

    private static string[] Answered(JsonElement round) => [.. round.GetProperty("answered").EnumerateArray().Select(c => c.GetString()!)];

    // "server node listening at akka.tcp://fedactors@127.0.0.1:40123; waiting for 6 clients: ..."
    [GeneratedRegex(@"akka\.tcp://[A-Za-z0-9_-]+@127\.0\.0\.1:[1-9][0-9]*")]
    private static partial Regex ServerAddress();

    private CliProcess Started(string name, Stopwatch clock, IEnumerable<string> arguments)
    {
        var process = CliProcess.Start(name, clock, _folder.FullName, arguments);
        _processes.Add(process);
        return process;
    }
}
