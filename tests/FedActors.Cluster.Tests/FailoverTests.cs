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

        // and two server nodes on one PostgreSQL, the one started first (the oldest, which runs the server) at the lower or the higher address
        var ports = FreePorts(2).Order().ToArray();
        var (activePort, standbyPort) = activeAtLowerAddress ? (ports[0], ports[1]) : (ports[1], ports[0]);
        var peers = $"fedactors.cluster.server.peers = [\"{Address(activePort)}\", \"{Address(standbyPort)}\"]";
        var store = $"""
            fedactors.cluster.server.checkpoint-sql {"{"}
              provider = postgresql
              connection-string = "{_database.Server.ConnectionString}"
              persistence-id = "failover-{Guid.NewGuid():N}"
            {"}"}
            """;
        await using var active = await StartServer(activePort, peers, store);
        await active.Active.WaitAsync(Patience);
        await using var standby = await StartServer(standbyPort, peers, store);
        var stored = new StoredRounds(active.System);

        // and two client nodes that know both server nodes, whose clients hold their fit of round k + 1 until the kill
        var killed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var contacts = $"fedactors.cluster.client.seed = \"{Address(activePort)}\"\nfedactors.cluster.client.seeds = [\"{Address(standbyPort)}\"]";
        await using var nodeA = StartClients(LocalCluster.Ids(0, 2), contacts, killed.Task);
        await using var nodeB = StartClients(LocalCluster.Ids(2, 2), contacts, killed.Task);

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
        foreach (var node in new[] { nodeA, nodeB })
        {
            var ended = await node.Outcome.WaitAsync(Patience);
            Assert.True(ended.Succeeded, ended.Detail);
        }
    }

    private static async Task<Core.Tensors.Parameters> UninterruptedModel()
    {
        await using var cluster = await LocalCluster.StartAsync(4, Run);
        cluster.AddNode(LocalCluster.Ids(0, 2));
        cluster.AddNode(LocalCluster.Ids(2, 2));
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        await cluster.Server.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
        return outcome.FinalParameters!;
    }

    private static Task<ServerNodeHandle> StartServer(int port, string peers, string store)
    {
        var (runtime, cluster) = LocalCluster.Settings(string.Join('\n', Run, Failover, peers, store, $"fedactors.cluster.server.port = {port.ToString(CultureInfo.InvariantCulture)}"));
        var setup = new SimulationSetup(LocalCluster.Ids(0, 4), _ => throw new InvalidOperationException("the server trains nothing"), TestParameters.Filled(0), new FedAvg(), new MeanDistanceEvaluator(1));
        return ServerNode.StartAsync(runtime, cluster, setup);
    }

    private static ClientNodeHandle StartClients(ClientId[] ids, string contacts, Task killed)
    {
        var (runtime, cluster) = LocalCluster.Settings(string.Join('\n', Run, contacts));
        return ClientNode.Start(runtime, cluster, ids, id => new HeldAfter(KilledAfter, killed, LocalCluster.Trainer(id)), TestParameters.Layout);
    }

    private static string Address(int port) => $"akka.tcp://fedactors@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        listeners.ForEach(l => l.Start());
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    /// <summary>One PostgreSQL for the class, through the project's script.</summary>
    public sealed class Database : IDisposable
    {
        internal PostgresServer Server { get; } = PostgresServer.Start();

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
