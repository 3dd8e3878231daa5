using Akka.Actor;
using FedActors.Cluster;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Server;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;

namespace FedActors.Cli.Simulation;

/// <summary>
/// Runs a prepared run on a server node (<c>fedactors server</c>): the same coordinator, strategy
/// and central evaluation as a simulation, with the clients registering from client nodes.
/// SIGTERM or Ctrl-C runs the node's CoordinatedShutdown, which stops the run as
/// <c>fedactors.cluster.server.on-stop</c> says (ServerNode), to be resumed with <c>--resume</c>.
/// </summary>
/// <param name="output">Where the node's seed address is printed once it listens.</param>
internal sealed class ClusterServerHost(TextWriter output)
{
    // Long enough for the nodes' links to flush the end of the run; they stop on their own without it.
    private static readonly TimeSpan EndNotice = TimeSpan.FromSeconds(5);

    /// <summary>Starts the server node, runs every round (or until stopped), tells the client nodes the run is over, and leaves.</summary>
    public async Task<RunOutcome> RunAsync(RuntimeSettings settings, SimulationSetup setup, Action<RoundRecord> onRound, CancellationToken ct)
    {
        var cluster = ClusterSettings.Read(settings.Config);
        var lastCompleted = setup.Resume?.Server.Round ?? RoundNumber.Initial;
        void Track(RoundRecord record)
        {
            if (record.Completed)
            {
                lastCompleted = record.Round;
            }

            onRound(record);
        }

        await using var node = await ServerNode.StartAsync(settings, cluster, setup, Track, ct);
        using var signals = StopSignals.Listen(signal => CoordinatedShutdown.Get(node.System).Run(new StopRequested(signal)));
        await output.WriteLineAsync($"  server node listening at {node.Address}; waiting for {setup.Clients.Count} clients: fedactors client --seed {node.Address} ...");
        if (await Task.WhenAny(node.Outcome, node.System.WhenTerminated).WaitAsync(ct) != node.Outcome)
        {
            // Shut down before the run stopped (a stop that outlasted its phase's timeout): the last checkpoint stands.
            return new RunOutcome(false, "the server node shut down before the round in progress ended", [], null) { StoppedAfter = lastCompleted };
        }

        var outcome = await node.Outcome;
        if (outcome.StoppedAfter is not null)
        {
            // Stopped on request: the shutdown under way has told the client nodes; the node leaves when it is done.
            await node.System.WhenTerminated;
            return outcome;
        }

        try
        {
            await node.EndRunAsync(outcome, EndNotice);
        }
        catch (Exception e) when (e is TimeoutException or AskTimeoutException)
        {
            await output.WriteLineAsync($"  (the client nodes were not all told the run is over within {EndNotice}: {e.Message})");
        }

        return outcome;
    }
}
