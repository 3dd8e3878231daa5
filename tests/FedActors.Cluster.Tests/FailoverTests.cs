using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using FedActors.Cluster.Client;
using FedActors.Cluster.Failover;
using FedActors.Cluster.Server;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Cluster.Tests;

/// <summary>
/// Two server nodes on one PostgreSQL (started by scripts/postgres.sh): the oldest runs the
/// server; killed after round k, the other takes over from the store and the client nodes follow
/// it without a restart, and the run ends with an uninterrupted run's model, bit for bit.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class FailoverTests : IClassFixture<FailoverTests.Database>
{
    private const int Rounds = 4;

    // The processes' run: rounds of about a second, and enough of them after round 2 that the kill
    // lands before the run's end even when the store's writes lag behind the rounds (with four, a
    // fast wire let rounds 3 and 4 finish before the kill).
    private const int ProcessRounds = 6;
    private const int KilledAfter = 2;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    // Every client trains every round, so the model depends on nothing but the rounds' seeds.
    private const string Run = """
        fedactors.run.rounds = 4
        fedactors.server.min-available-clients = 4
        fedactors.server.fraction-fit = 1.0
        fedactors.server.min-fit-clients = 4
        fedactors.server.round-timeout = 30s
        """;

    // A crash, not a leave: terminating the killed node's actor system runs no coordinated
    // shutdown, so it never says it leaves, and the survivor has to notice it is gone. Failure
    // detection, the split-brain resolver's stable-after and the singleton's removal margin are
    // cut from about 45 s to about 3 s.
    private const string Failover = """
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        akka.cluster.seed-node-timeout = 1s
        akka.cluster.failure-detector.heartbeat-interval = 200ms
        akka.cluster.failure-detector.acceptable-heartbeat-pause = 1s
        akka.cluster.split-brain-resolver.stable-after = 1s
        akka.cluster.down-removal-margin = 500ms
        akka.cluster.split-brain-resolver.lease-majority.acquire-lease-delay-for-minority = 500ms
        akka.cluster.singleton.lease-retry-interval = 200ms
        fedactors.cluster.server.checkpoint-store = sql
        """;

    private readonly Database _database;
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public FailoverTests(Database database, Xunit.Abstractions.ITestOutputHelper output)
    {
        _database = database;
        _output = output;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ActiveServerKilledAfterRoundK_TheOtherServerNodeResumesAfterRoundKFromTheStore_AndEndsWithTheUninterruptedModel(bool activeAtLowerAddress)
    {
        // given the model of an uninterrupted run of one server node
        var expected = await UninterruptedModel();

        // and two server nodes on one PostgreSQL, the one started first (the oldest, which runs the server) at the lower or the higher address,
        // and two client nodes that know both, whose clients hold their fit of round k + 1 until the kill
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pair = await ServerPair.StartAsync(this, activeAtLowerAddress, "akka.tcp", killed.Task);
        var (active, standby, stored) = (pair.Active, pair.Standby, pair.Stored);

        // when the active server node dies once round k is in the store
        await stored.Reached(KilledAfter).WaitAsync(Patience);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await active.System.Terminate().WaitAsync(Patience);
        killed.SetResult();

        // then the other server node runs the server, resuming after round k
        Assert.Equal(KilledAfter, await standby.Active.WaitAsync(Patience));
        _output.WriteLine($"the server ran again {clock.ElapsedMilliseconds} ms after the kill, on {standby.Address}");

        // and the run ends there, every round once, with the uninterrupted run's model bit for bit
        var outcome = await standby.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Equal(Enumerable.Range(1, Rounds), outcome.History.Where(r => r.Completed && r.Round.Value > 0).Select(r => r.Round.Value));
        Assert.Equal(TestParameters.Bits(expected), TestParameters.Bits(outcome.FinalParameters!));

        // and the client nodes, never restarted, followed it to the end of the run
        await standby.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
        await pair.ClientNodesEnded();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ServerNodesCutOffFromEachOther_OnlyOneGoesOn_AndTheRunEndsWithTheUninterruptedModel(bool activeAtLowerAddress)
    {
        // given the model of an uninterrupted run, and two live server nodes behind Akka's throttler, on one PostgreSQL
        var expected = await UninterruptedModel();
        var decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var pair = await ServerPair.StartAsync(
            this,
            activeAtLowerAddress,
            "akka.trttl.tcp",
            decided.Task,
            serverOnly: "akka.remote.dot-netty.tcp.applied-adapters = [trttl, fedactors-gate]",
            clientOnly: "akka.remote.dot-netty.tcp.applied-adapters = [trttl]");
        var (active, standby, stored) = (pair.Active, pair.Standby, pair.Stored);

        // when, once round k is stored, the two server nodes can no longer reach each other (both stay up, and reach the database and the clients)
        await stored.Reached(KilledAfter).WaitAsync(Patience);
        var transport = ((Akka.Remote.IRemoteActorRefProvider)((ExtendedActorSystem)active.System).Provider).Transport;
        Assert.True(await transport.ManagementCommand(new Akka.Remote.Transport.SetThrottle(standby.Address, Akka.Remote.Transport.ThrottleTransportAdapter.Direction.Both, Akka.Remote.Transport.Blackhole.Instance)));

        // then one of them downs itself (the side that did not get the lease), and the clients' training goes on once it is gone
        var downed = await Task.WhenAny(active.System.WhenTerminated, standby.System.WhenTerminated).WaitAsync(Patience);
        decided.SetResult();
        var survivor = downed == active.System.WhenTerminated ? standby : active;
        _output.WriteLine($"{(survivor == active ? "the active" : "the standby")} server node {survivor.Address} went on");

        // and the run ends on the other, which was never downed, with the uninterrupted run's model bit for bit
        var outcome = await survivor.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.False(survivor.System.WhenTerminated.IsCompleted, $"the survivor {survivor.Address} was downed too");
        Assert.Equal(Enumerable.Range(1, Rounds), outcome.History.Where(r => r.Completed && r.Round.Value > 0).Select(r => r.Round.Value));
        Assert.Equal(TestParameters.Bits(expected), TestParameters.Bits(outcome.FinalParameters!));
        await survivor.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
        await pair.ClientNodesEnded();
    }

    [Fact]
    public async Task ActiveServerProcessSigkilledAfterRound2_TheOtherServerProcessEndsTheRun_WithTheSimulationsModelBitForBit()
    {
        // given the model file of `fedactors simulate` of the run (the seed example on four clients, every client every round)
        var folder = Directory.CreateTempSubdirectory("fedactors-failover-procs-");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var processes = new List<CliProcess>();
        CliProcess Started(string name, IEnumerable<string> arguments)
        {
            var process = CliProcess.Start(name, clock, folder.FullName, arguments);
            processes.Add(process);
            return process;
        }

        try
        {
            var hocon = Path.Combine(CliProcess.RepositoryRoot, "hocon");
            string[] run =
            [
                "--set", "simulation.clients=4", "--set", "server.min-available-clients=4", "--set", "server.fraction-fit=1.0",
                "--set", "server.min-fit-clients=4", "--set", "server.round-timeout=60s", "--set", "server.registration-timeout=60s",
                "--set", $"run.rounds={ProcessRounds}", "--set", "training.local-epochs=25",
                "--set", "simulation.dataset.train-limit=4000", "--set", "simulation.dataset.test-limit=1000",
            ];
            var simulate = Started("simulate", ["simulate", "--plain", "--config", Path.Combine(hocon, "server.conf"), "--output", Path.Combine(folder.FullName, "simulate"), .. run]);
            Assert.Equal(0, await simulate.ExitCodeAsync(Patience));

            // and two server processes on one PostgreSQL, and two client node processes that know both
            var ports = FreePorts(2);
            var persistenceId = $"failover-procs-{Guid.NewGuid():N}";
            var config = Path.Combine(folder.FullName, "failover.conf");
            await File.WriteAllTextAsync(config, $$"""
                include "{{Path.Combine(hocon, "server.conf")}}"
                {{Failover}}
                fedactors.cluster.heartbeat-interval = 200ms
                fedactors.cluster.acceptable-heartbeat-pause = 1s
                fedactors.cluster.server.peers = ["{{Address(ports[0])}}", "{{Address(ports[1])}}"]
                fedactors.cluster.server.checkpoint-sql {
                  provider = postgresql
                  connection-string = "{{_database.Server.ConnectionString}}"
                  persistence-id = "{{persistenceId}}"
                }
                """);
            CliProcess Server(int n) => Started($"server {n}", ["server", "--plain", "--config", config, "--host", "127.0.0.1", "--port", $"{ports[n]}", "--output", Path.Combine(folder.FullName, $"server-{n}"), .. run]);
            var first = Server(0);
            await first.WaitForLineAsync(l => l.Contains("listening at", StringComparison.Ordinal), Patience);
            var second = Server(1);
            await second.WaitForLineAsync(l => l.Contains("listening at", StringComparison.Ordinal), Patience);
            var nodes = Enumerable.Range(0, 2).Select(n => Started($"client node {n}", [
                "client", "--config", Path.Combine(hocon, "client.conf"), "--seed", Address(ports[0]), "--host", "127.0.0.1",
                "--set", $"cluster.client.seeds=[\"{Address(ports[1])}\"]", "--set", "cluster.heartbeat-interval=200ms", "--set", "cluster.acceptable-heartbeat-pause=1s",
                "--first-client-id", $"{2 * n}", "--clients-on-node", "2", .. run])).ToList();

            // when the first server process is SIGKILLed once the store holds round 2's checkpoint (a round trains for about a
            // second, but a loaded machine may let round 3 finish first: k is whatever the store holds once the process is dead)
            await first.WaitForLineAsync(l => l.StartsWith($"round 2/{ProcessRounds}", StringComparison.Ordinal), Patience);
            await StoredRound(persistenceId, 2).WaitAsync(Patience);
            first.Kill();
            var killedAt = clock.Elapsed;
            await first.ExitCodeAsync(Patience);
            var k = await NewestStoredRound(persistenceId);
            Assert.InRange(k, 2, ProcessRounds - 1);

            // then the second server process continues from round k + 1, runs no round before it, ends the run and exits 0
            var next = await second.WaitForLineAsync(l => l.StartsWith($"round {k + 1}/{ProcessRounds}", StringComparison.Ordinal), Patience);
            Assert.True(await second.ExitCodeAsync(Patience) == 0, second.Output());
            _output.WriteLine($"killed at {killedAt.TotalSeconds:0.000} s after round {k} was stored; round {k + 1} recorded on the other server {(next.At - killedAt).TotalSeconds:0.000} s later");
            Assert.DoesNotContain(second.Output().Split('\n'), l => Enumerable.Range(1, k).Any(r => l.StartsWith($"round {r}/{ProcessRounds}", StringComparison.Ordinal)));

            // and its model is the simulation's, byte for byte, and the client nodes, never restarted, exit 0
            Assert.Equal(
                await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "simulate", "model.safetensors")),
                await File.ReadAllBytesAsync(Path.Combine(folder.FullName, "server-1", "model.safetensors")));
            foreach (var node in nodes)
            {
                Assert.True(await node.ExitCodeAsync(Patience) == 0, node.Output());
            }
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
            folder.Delete(recursive: true);
        }
    }

    // The model of the run left alone, computed once for the class.
    private Task<Core.Tensors.Parameters> UninterruptedModel() => _database.Uninterrupted.Value;

    private static async Task<Core.Tensors.Parameters> RunUninterrupted()
    {
        await using var cluster = await LocalCluster.StartAsync(4, Run);
        cluster.AddNode(LocalCluster.Ids(0, 2));
        cluster.AddNode(LocalCluster.Ids(2, 2));
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        await cluster.Server.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
        return outcome.FinalParameters!;
    }

    private static Task<ServerNodeHandle> StartServer(int port, string peers, string store, string nodeOnly = "")
    {
        var (runtime, cluster) = LocalCluster.Settings(string.Join('\n', Run, Failover, peers, store, nodeOnly, $"fedactors.cluster.server.port = {port.ToString(CultureInfo.InvariantCulture)}"));
        var setup = new SimulationSetup(LocalCluster.Ids(0, 4), _ => throw new InvalidOperationException("the server trains nothing"), TestParameters.Filled(0), new FedAvg(), new MeanDistanceEvaluator(1));
        return ServerNode.StartAsync(runtime, cluster, setup);
    }

    private static ClientNodeHandle StartClients(ClientId[] ids, string contacts, Task killed, string nodeOnly = "")
    {
        var (runtime, cluster) = LocalCluster.Settings(string.Join('\n', Run, contacts, nodeOnly));
        return ClientNode.Start(runtime, cluster, ids, id => new HeldAfter(KilledAfter, killed, LocalCluster.Trainer(id)), TestParameters.Layout);
    }

    // Polls the journal table: the database is the only witness of what a killed process stored.
    private async Task StoredRound(string persistenceId, int round)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (await NewestStoredRound(persistenceId) < round)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the store held no round {round} within {Patience}");
            await Task.Delay(20);
        }
    }

    // One event per completed round, numbered from 1: the highest sequence number is the newest round.
    private async Task<int> NewestStoredRound(string persistenceId)
    {
        await using var connection = new Npgsql.NpgsqlConnection(_database.Server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT COALESCE(MAX(sequence_number), 0) FROM journal WHERE persistence_id = @id", connection);
        command.Parameters.AddWithValue("id", persistenceId);
        return (int)Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static string Address(int port, string scheme = "akka.tcp") => $"{scheme}://fedactors@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>
    /// Two server nodes on the class's PostgreSQL under a fresh persistence id, the active one
    /// started (and running the server) first at the lower or the higher of two free ports, and
    /// two client nodes of two clients each that know both and hold every fit after round k until
    /// <c>held</c> completes.
    /// </summary>
    private sealed record ServerPair(ServerNodeHandle Active, ServerNodeHandle Standby, StoredRounds Stored, ClientNodeHandle[] Nodes) : IAsyncDisposable
    {
        public static async Task<ServerPair> StartAsync(FailoverTests test, bool activeAtLowerAddress, string scheme, Task held, string serverOnly = "", string clientOnly = "")
        {
            var ports = FreePorts(2).Order().ToArray();
            var (activePort, standbyPort) = activeAtLowerAddress ? (ports[0], ports[1]) : (ports[1], ports[0]);
            var peers = $"fedactors.cluster.server.peers = [\"{Address(activePort, scheme)}\", \"{Address(standbyPort, scheme)}\"]";
            var store = $$"""
                fedactors.cluster.server.checkpoint-sql {
                  provider = postgresql
                  connection-string = "{{test._database.Server.ConnectionString}}"
                  persistence-id = "failover-{{Guid.NewGuid():N}}"
                }
                """;
            var active = await StartServer(activePort, peers, store, serverOnly);
            await active.Active.WaitAsync(Patience);
            var standby = await StartServer(standbyPort, peers, store, serverOnly);
            var stored = new StoredRounds(active.System);
            var contacts = $"fedactors.cluster.client.seed = \"{Address(activePort, scheme)}\"\nfedactors.cluster.client.seeds = [\"{Address(standbyPort, scheme)}\"]";
            ClientNodeHandle[] nodes = [StartClients(LocalCluster.Ids(0, 2), contacts, held, clientOnly), StartClients(LocalCluster.Ids(2, 2), contacts, held, clientOnly)];
            return new ServerPair(active, standby, stored, nodes);
        }

        /// <summary>Every client node was told the run is over, and ended well.</summary>
        public async Task ClientNodesEnded()
        {
            foreach (var node in Nodes)
            {
                var ended = await node.Outcome.WaitAsync(Patience);
                Assert.True(ended.Succeeded, ended.Detail);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var node in Nodes)
            {
                await node.DisposeAsync();
            }

            await Standby.DisposeAsync();
            await Active.DisposeAsync();
        }
    }

    /// <summary>One PostgreSQL for the class, through the project's script.</summary>
    public sealed class Database : IDisposable
    {
        internal PostgresServer Server { get; } = PostgresServer.Start();

        internal Lazy<Task<Core.Tensors.Parameters>> Uninterrupted { get; } = new(RunUninterrupted);

        public void Dispose() => Server.Dispose();
    }

    // Holds a fit of a round after `after` until `killed` completes: no later checkpoint can reach the store before the kill.
    private sealed class HeldAfter(int after, Task killed, ITrainer inner) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            if (task.Round.Value > after)
            {
                killed.Wait(cancellation);
            }

            return inner.Fit(task, cancellation);
        }

        public Evaluation Evaluate(Core.Tensors.Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }

    // The rounds a server node's checkpoint store has stored, from its event stream.
    private sealed class StoredRounds
    {
        private readonly List<(int Round, TaskCompletionSource Done)> _waiting = [];
        private int _newest;

        public StoredRounds(ActorSystem system)
        {
            var listener = system.ActorOf(Props.Create(() => new Listener(this)));
            system.EventStream.Subscribe(listener, typeof(CheckpointStored));
        }

        public Task Reached(int round)
        {
            lock (_waiting)
            {
                if (_newest >= round)
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((round, done));
                return done.Task;
            }
        }

        private void Stored(int round)
        {
            lock (_waiting)
            {
                _newest = Math.Max(_newest, round);
                foreach (var (r, done) in _waiting.Where(w => w.Round <= _newest))
                {
                    done.TrySetResult();
                }
            }
        }

        private sealed class Listener : ReceiveActor
        {
            public Listener(StoredRounds rounds) => Receive<CheckpointStored>(m => rounds.Stored(m.Round));
        }
    }
}
