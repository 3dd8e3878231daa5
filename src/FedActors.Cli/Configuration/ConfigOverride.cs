namespace FedActors.Cli.Configuration;

/// <summary>One key set on the command line.</summary>
/// <param name="Key">The HOCON path under <c>fedactors.</c> (e.g. <c>run.rounds</c>).</param>
/// <param name="HoconValue">The value as HOCON text (strings already quoted).</param>
/// <param name="Origin">How the user wrote it, for error messages (e.g. <c>--rounds 3</c>).</param>
internal sealed record ConfigOverride(string Key, string HoconValue, string Origin)
{
    /// <summary>The full path: <c>fedactors.</c> + the key, unless the key already starts with <c>fedactors.</c> or <c>akka.</c>.</summary>
    public string Path => Key.StartsWith("fedactors.", StringComparison.Ordinal) || Key.StartsWith("akka.", StringComparison.Ordinal) ? Key : "fedactors." + Key;

    /// <summary>Parses a <c>--set key=value</c> argument.</summary>
    /// <exception cref="UsageException">There is no '=' or no key.</exception>
    public static ConfigOverride FromSetArgument(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            throw new UsageException($"--set '{argument}' must have the form key=value, e.g. --set server.round-timeout=30s (keys are relative to 'fedactors.')");
        }

        return new ConfigOverride(argument[..equals].Trim(), argument[(equals + 1)..].Trim(), $"--set {argument}");
    }

    /// <summary>A string value, quoted for HOCON.</summary>
    public static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
