using FedActors.Cli.Simulation;

namespace FedActors.Cli.Tests.Support;

/// <summary>Runs the command line in-process with captured output.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static Task<Result> RunAsync(ISimulationEngine engine, params string[] args) => RunAsync(engine, serverEngine: null, args);

    /// <summary>With <paramref name="serverEngine"/> running <c>fedactors server</c>'s run.</summary>
    public static async Task<Result> RunAsync(ISimulationEngine engine, ISimulationEngine? serverEngine, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApplication.RunAsync(args, new CliConsole(output, error, Terminal: null), engine, serverEngine);
        return new Result(exit, output.ToString(), error.ToString());
    }
}
