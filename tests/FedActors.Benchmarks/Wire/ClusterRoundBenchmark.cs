using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using FedActors.Cluster.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Server;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Benchmarks.Wire;

/// <summary>
/// The <c>cluster-round</c> bench command (see <see cref="ClusterRoundOptions.Help"/>): rounds of a
/// large model across client nodes, split into what the wire and what training took, and whether
/// any node went unreachable while the model was in flight.
/// </summary>
public static class ClusterRoundBenchmark
{
    public static async Task RunAsync(ClusterRoundOptions options, TextWriter output)
    {
        var clients = options.Nodes * options.ClientsPerNode;
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $"""
            fedactors.run.rounds = {options.Rounds}
            fedactors.server.min-available-clients = {clients}
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = {clients}
            fedactors.server.round-timeout = 600s
            fedactors.training.batch-size = 10
            fedactors.training.learning-rate = 0.1
            fedactors.cluster.server.port = 0
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            """)), ClusterSettings.Defaults);
        var runtime = RuntimeSettings.Read(config);
        var cluster = ClusterSettings.Read(config);
        var layout = new ParameterLayout([new TensorSpec("w", [options.Parameters])]);
        var ids = Enumerable.Range(0, clients).Select(i => new ClientId($"client-{i}")).ToList();
        var fits = new ConcurrentQueue<(ClientId Client, long Start, long End)>();
        var records = new ConcurrentQueue<(RoundRecord Record, long At)>();
        var setup = new SimulationSetup(ids, _ => throw new InvalidOperationException("the server trains nothing"), Parameters.Zeros(layout), new FedAvg(), CentralEvaluator: null);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cluster-round: {options.Parameters:N0} parameters ({options.Parameters * 4 / 1e6:F0} MB), {options.Nodes} client nodes x {options.ClientsPerNode} clients, {options.Rounds} rounds, chunk {cluster.ChunkSize} bytes, heartbeat {cluster.HeartbeatInterval.TotalSeconds:F0} s / pause {cluster.AcceptableHeartbeatPause.TotalSeconds:F0} s"));
        var clock = Stopwatch.StartNew();
        await using var server = await ServerNode.StartAsync(runtime, cluster, setup, r => records.Enqueue((r, Stopwatch.GetTimestamp()))).ConfigureAwait(false);
        var watcher = server.System.ActorOf(Props.Create(() => new UnreachableCounter()), "unreachable-counter");
        ClusterClientReceptionist.Get(server.System).Underlying.Tell(SubscribeClusterClients.Instance, watcher);

        var nodes = new List<ClientNodeHandle>();
        var nodeCluster = cluster with { Seed = server.Address.ToString() };
        try
        {
            for (var n = 0; n < options.Nodes; n++)
            {
                nodes.Add(ClientNode.Start(runtime, nodeCluster, ids.GetRange(n * options.ClientsPerNode, options.ClientsPerNode), id => new Timed(new QuadraticTrainer(id, 60), id, fits), layout));
            }

            var outcome = await server.Outcome.WaitAsync(TimeSpan.FromMinutes(30)).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run: {(outcome.Succeeded ? "succeeded" : "FAILED: " + outcome.FailureReason)} in {clock.Elapsed.TotalSeconds:F1} s (start-up and registration included)"));
            Report(records, fits, output);
            var unreachable = await watcher.Ask<int>(UnreachableCounter.Count.Instance, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"unreachable: {unreachable} ClusterClientUnreachable events at the receptionist, {records.Sum(r => r.Record.Dropped.Length)} clients dropped from rounds"));
            output.WriteLine($"process: {Status("VmHWM")} peak RSS");
            await server.EndRunAsync(outcome, TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static void Report(ConcurrentQueue<(RoundRecord Record, long At)> records, ConcurrentQueue<(ClientId Client, long Start, long End)> fits, TextWriter output)
    {
        output.WriteLine("round  client     sending_ms  to_client_ms  train_ms  to_server_ms  aggregate_ms  total_ms  dropped");
        foreach (var (record, at) in records.Where(r => r.Record.Round.Value > 0))
        {
            var t = record.Timings;

            // The fit phase ends when the last update is in; the round started Total before its record.
            var start = at - (long)(t.Total.TotalSeconds * Stopwatch.Frequency);
            var fitEnd = start + (long)((t.Sampling + t.Sending + t.Fit).TotalSeconds * Stopwatch.Frequency);
            var roundFits = fits.Where(f => f.Start >= start && f.End <= at).OrderBy(f => f.Client.Value).ToList();
            var dropped = record.Dropped.IsEmpty ? "none" : string.Join("; ", record.Dropped.Select(d => $"{d.Client} {d.Reason}: {d.Detail}"));
            foreach (var (client, fitStart, end) in roundFits)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{record.Round.Value,5}  {client.Value,-9}  {(t.Sampling + t.Sending).TotalMilliseconds,10:F0}  {Ms(start, fitStart),12:F0}  {Ms(fitStart, end),8:F0}  {Ms(end, fitEnd),12:F0}  {t.Aggregate.TotalMilliseconds,12:F0}  {t.Total.TotalMilliseconds,8:F0}  {dropped}"));
            }
        }
    }

    private static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private static string Status(string key) =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";

    /// <summary>Notes when each Fit started and ended.</summary>
    private sealed class Timed(ITrainer inner, ClientId client, ConcurrentQueue<(ClientId, long, long)> fits) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            var started = Stopwatch.GetTimestamp();
            var fit = inner.Fit(task, cancellation);
            fits.Enqueue((client, started, Stopwatch.GetTimestamp()));
            return fit;
        }

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>Counts the receptionist's ClusterClientUnreachable events: a client node whose heartbeats stopped.</summary>
    private sealed class UnreachableCounter : ReceiveActor
    {
        private int _count;

        public UnreachableCounter()
        {
            Receive<ClusterClientUnreachable>(_ => _count++);
            Receive<Count>(_ => Sender.Tell(_count));
            ReceiveAny(_ => { });
        }

        public sealed record Count
        {
            public static readonly Count Instance = new();
        }
    }
}
