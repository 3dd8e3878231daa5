using System.CommandLine;
using FedActors.Cli.Commands;
using FedActors.Cli.Simulation;

namespace FedActors.Cli;

/// <summary>The <c>fedactors</c> command line: builds the command tree and runs it.</summary>
internal static class CliApplication
{
    /// <summary>Parses <paramref name="args"/> and runs the chosen command.</summary>
    /// <returns>The exit code (see <see cref="ExitCodes"/>).</returns>
    /// <param name="args">The command line.</param>
    /// <param name="console">Where the commands write.</param>
    /// <param name="engine">Runs simulations.</param>
    /// <param name="serverEngine">Runs a server node's run; a <see cref="TorchSimulationEngine"/> over a <see cref="ClusterServerHost"/> when null.</param>
    /// <param name="ct">Stops the command.</param>
    public static async Task<int> RunAsync(string[] args, CliConsole console, ISimulationEngine engine, ISimulationEngine? serverEngine = null, CancellationToken ct = default)
    {
        var root = new RootCommand("FedActors: federated learning on Akka.NET actors and TorchSharp.")
        {
            SimulateCommand.Create(console, engine),
            ServerCommand.Create(console, serverEngine ?? new TorchSimulationEngine(new ClusterServerHost(console.Out).RunAsync)),
            ClientCommand.Create(console),
            BenchmarkCommand.Create(console, engine),
            PrivacyCommand.Create(console),
            CertsCommand.Create(console),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                await console.Error.WriteLineAsync($"error: {error.Message}");
            }

            await console.Error.WriteLineAsync("Run 'fedactors --help' (or 'fedactors simulate --help') for usage.");
            return ExitCodes.Usage;
        }

        var invocation = new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false };
        if (parsed.CommandResult.Command.Name is "server" or "client")
        {
            // Their nodes take SIGTERM and Ctrl-C themselves (StopSignals), through Akka's
            // CoordinatedShutdown; System.CommandLine's handler would cancel the run and exit after 2 s.
            invocation.ProcessTerminationTimeout = null;
        }

        try
        {
            return await parsed.InvokeAsync(invocation, ct);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of ours: still one line, no stack trace (FEDACTORS_DEBUG=1 shows it).
            var detail = Environment.GetEnvironmentVariable("FEDACTORS_DEBUG") == "1" ? e.ToString() : $"{e.GetType().Name}: {e.Message}";
            await console.Error.WriteLineAsync($"fedactors failed unexpectedly: {detail}");
            return ExitCodes.RunFailed;
        }
    }
}
