using FedActors.Cluster.Configuration;
using FedActors.Cluster.Server;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Simulation;

namespace FedActors.Cli.Simulation;

/// <summary>
/// Runs a prepared run on a server node (<c>fedactors server</c>): the same coordinator, strategy
/// and central evaluation as a simulation, with the clients registering from client nodes.
/// </summary>
/// <param name="output">Where the node's seed address is printed once it listens.</param>
internal sealed class ClusterServerHost(TextWriter output)
{
    // Long enough for the nodes' links to flush the end of the run; they stop on their own without it.
    private static readonly TimeSpan EndNotice = TimeSpan.FromSeconds(5);

    /// <summary>Starts the server node, runs every round, tells the client nodes the run is over, and leaves.</summary>
    public async Task<RunOutcome> RunAsync(RuntimeSettings settings, SimulationSetup setup, Action<RoundRecord> onRound, CancellationToken ct)
    {
        var cluster = ClusterSettings.Read(settings.Config);
        await using var node = await ServerNode.StartAsync(settings, cluster, setup, onRound, ct);
        await output.WriteLineAsync($"  server node listening at {node.Address}; waiting for {setup.Clients.Count} clients: fedactors client --seed {node.Address} ...");
        var outcome = await node.Outcome.WaitAsync(ct);
        try
        {
            await node.EndRunAsync(outcome, EndNotice);
        }
        catch (Exception e) when (e is TimeoutException or Akka.Actor.AskTimeoutException)
        {
            await output.WriteLineAsync($"  (the client nodes were not all told the run is over within {EndNotice}: {e.Message})");
        }

        return outcome;
    }
}
