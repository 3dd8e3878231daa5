using System.CommandLine;
using FedActors.Cli.Simulation;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors server</c>: a run as <c>simulate</c> describes it (the same options, progress and
/// outputs), whose clients are on client nodes: it starts a seed node hosting the coordinator.
/// </summary>
internal static class ServerCommand
{
    /// <summary>Builds the command on <paramref name="engine"/> (a <see cref="TorchSimulationEngine"/> over a <see cref="ClusterServerHost"/>).</summary>
    public static Command Create(CliConsole console, ISimulationEngine engine) => SimulateCommand.Create(
        console,
        engine,
        "server",
        "Starts a server node (a seed node with the coordinator) and runs the configured training with clients on client nodes (fedactors client).",
        [
            SimulateCommand.Text("--host", "cluster.server.host", "Address to listen on and be known by (the machine's name or IP for nodes on other machines).", "HOST"),
            SimulateCommand.Whole("--port", "cluster.server.port", "Port client nodes dial (0 picks a free one)."),
        ]);
}
