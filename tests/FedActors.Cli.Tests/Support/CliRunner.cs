using FedActors.Cli.Simulation;

namespace FedActors.Cli.Tests.Support;

/// <summary>Runs the command line in-process with captured output.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error);

    public static async Task<Result> RunAsync(ISimulationEngine engine, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApplication.RunAsync(args, new CliConsole(output, error, Terminal: null), engine);
        return new Result(exit, output.ToString(), error.ToString());
    }
}
