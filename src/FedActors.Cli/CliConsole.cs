using Spectre.Console;

namespace FedActors.Cli;

/// <summary>Where the command writes: normal output, errors, and a live terminal display when there is one.</summary>
/// <param name="Out">Results and progress lines.</param>
/// <param name="Error">Error messages only.</param>
/// <param name="Terminal">The terminal for live progress; null when output is redirected or in CI, and then progress is plain lines.</param>
internal sealed record CliConsole(TextWriter Out, TextWriter Error, IAnsiConsole? Terminal)
{
    /// <summary>The process's console, live only when stdout is an interactive terminal and not CI.</summary>
    public static CliConsole FromProcess()
    {
        var ci = Environment.GetEnvironmentVariable("CI") is { Length: > 0 } value && value != "false" && value != "0";
        var interactive = !ci && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        return new CliConsole(Console.Out, Console.Error, interactive ? AnsiConsole.Console : null);
    }
}
