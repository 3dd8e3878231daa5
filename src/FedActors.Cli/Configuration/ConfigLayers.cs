using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using FedActors.Core.Configuration;

namespace FedActors.Cli.Configuration;

/// <summary>
/// The configuration of one run in its three layers (embedded defaults &lt; <c>--config</c> file &lt;
/// command-line options), checked before anything runs: syntax, unknown keys, types and ranges,
/// and settings that cannot work together. Every error names the key and the layer that set it.
/// </summary>
internal sealed partial class ConfigLayers
{
    private const string OptionsSource = "the command-line options";
    private const int MaxIncludeDepth = 8;
    private readonly string? _filePath;
    private readonly Config _file;
    private readonly HoconOutline? _fileOutline;
    private readonly Config _commandLine;
    private readonly IReadOnlyList<ConfigOverride> _overrides;

    private ConfigLayers(string? filePath, Config file, HoconOutline? fileOutline, Config commandLine, IReadOnlyList<ConfigOverride> overrides, Config effective)
    {
        _filePath = filePath;
        _file = file;
        _fileOutline = fileOutline;
        _commandLine = commandLine;
        _overrides = overrides;
        Effective = effective;
    }

    /// <summary>The merged configuration the run uses, over the embedded defaults.</summary>
    public Config Effective { get; }

    /// <summary>The <c>--config</c> file, if one was given.</summary>
    public string? FilePath => _filePath;

    /// <summary>The command-line settings, as the user wrote them.</summary>
    public IReadOnlyList<string> CommandLineOrigins => _overrides.Select(o => o.Origin).ToList();

    /// <summary>Loads and checks the layers.</summary>
    /// <exception cref="UsageException">Anything is wrong; the message says what and where.</exception>
    public static ConfigLayers Load(string? filePath, IReadOnlyList<ConfigOverride> overrides)
    {
        var (file, outline) = filePath is null ? (Config.Empty, null) : ReadFile(filePath);
        var commandLine = ParseOverrides(overrides);

        var problems = new List<string>();
        var known = SimulationDefaults.AllKnown;
        problems.AddRange(UnknownKeys.Find(file, known).Select(key => $"unknown configuration key '{key}' in {Where(filePath!, outline!, key)}"));
        problems.AddRange(UnknownKeys.Find(commandLine, known).Select(key => $"unknown configuration key '{key}' (set by {OriginOf(overrides, key)})"));
        if (problems.Count > 0)
        {
            throw new UsageException(string.Join(Environment.NewLine, problems)
                + Environment.NewLine + "hocon/reference.conf, reference.torch.conf, reference.simulation.conf and reference.cluster.conf list every key with its default.");
        }

        var layers = new ConfigLayers(filePath, file, outline, commandLine, overrides, Config.Empty);
        try
        {
            var user = Merge(commandLine, file);
            return new ConfigLayers(filePath, file, outline, commandLine, overrides, SimulationDefaults.Load(Merge(user, QuietAkka(user))));
        }
        catch (ConfigurationException e)
        {
            throw layers.Explain(e);
        }
    }

    /// <summary>
    /// Turns a <see cref="ConfigurationException"/> that names keys ('fedactors.x.y') into a
    /// <see cref="UsageException"/> that also says which layer set each of them.
    /// </summary>
    public UsageException Explain(ConfigurationException e)
    {
        var message = new StringBuilder(e.Message);
        foreach (var path in QuotedPath().Matches(e.Message).Select(m => m.Groups[1].Value).Distinct())
        {
            message.Append(Environment.NewLine).Append($"  '{path}' is set by {SourceOf(path)}");
        }

        return new UsageException(message.ToString());
    }

    /// <summary>Which layer set <paramref name="path"/>: an option, a line of the file, or the defaults.</summary>
    public string SourceOf(string path)
    {
        if (_commandLine.HasPath(path))
        {
            return OriginOf(_overrides, path);
        }

        if (_file.HasPath(path) && _filePath is not null && _fileOutline is not null)
        {
            return Where(_filePath, _fileOutline, path);
        }

        return "the defaults (hocon/reference*.conf)";
    }

    // Akka logs every round at Info, which drowns the progress display: the CLI shows warnings only,
    // unless the user asks for more (akka.loglevel, or fedactors.server.log-verbose = on).
    private static Config QuietAkka(Config user)
    {
        var verbose = user.HasPath("fedactors.server.log-verbose")
            && user.GetString("fedactors.server.log-verbose") is "on" or "true" or "yes";
        return verbose || user.HasPath("akka.loglevel")
            ? Config.Empty
            : ConfigurationFactory.ParseString("akka { loglevel = WARNING, stdout-loglevel = WARNING }");
    }

    // Akka refuses a config as its own fallback, and Config.Empty is one shared instance.
    private static Config Merge(Config over, Config under) => (over.IsEmpty, under.IsEmpty) switch
    {
        (true, _) => under,
        (_, true) => over,
        _ => over.WithFallback(under),
    };

    private static (Config Config, HoconOutline Outline) ReadFile(string path)
    {
        var text = ReadText(path, includedBy: null);
        var outline = Outline(text, $"{path}");
        return (Parse(text, path, IncludesBeside(path, depth: 1)), outline);
    }

    private static string ReadText(string path, string? includedBy)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the configuration file {path}{(includedBy is null ? string.Empty : $" (included by {includedBy})")}: {e.Message}");
        }
    }

    // `include "other.conf"` names a file beside the including one (hocon/server.conf includes the
    // run it serves). Keys set after the include win over the included file's.
    private static Func<string, HoconRoot> IncludesBeside(string includer, int depth) => name =>
    {
        if (depth > MaxIncludeDepth)
        {
            throw new UsageException($"{includer} includes '{name}' more than {MaxIncludeDepth} files deep: is an include circular?");
        }

        var path = Path.Combine(Path.GetDirectoryName(includer) ?? string.Empty, name);
        var text = ReadText(path, includer);
        Outline(text, path);
        return Parser.Parse(text, IncludesBeside(path, depth + 1));
    };

    private static Config ParseOverrides(IReadOnlyList<ConfigOverride> overrides)
    {
        var text = new StringBuilder();
        foreach (var o in overrides)
        {
            var line = $"{o.Path} = {o.HoconValue}";
            Outline(line, $"the option {o.Origin}");
            text.AppendLine(line);
        }

        return overrides.Count == 0 ? Config.Empty : Parse(text.ToString(), OptionsSource);
    }

    private static HoconOutline Outline(string text, string source)
    {
        try
        {
            return HoconOutline.Parse(text);
        }
        catch (HoconSyntaxException e)
        {
            var where = source.StartsWith("the option", StringComparison.Ordinal) ? source : $"{source}:{e.Line}";
            throw new UsageException($"HOCON syntax error in {where}: {e.Message}");
        }
    }

    private static Config Parse(string text, string source, Func<string, HoconRoot>? includes = null)
    {
        try
        {
            return includes is null ? ConfigurationFactory.ParseString(text) : ConfigurationFactory.ParseString(text, includes);
        }
        catch (UsageException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Akka's parser names a character position and echoes the text; give the line instead.
            var first = e.Message.Split('\n')[0].Trim();
            var position = CharacterPosition().Match(first);
            if (position.Success && int.TryParse(position.Groups[1].Value, CultureInfo.InvariantCulture, out var at) && source != OptionsSource)
            {
                var line = 1 + text.AsSpan(0, Math.Min(at, text.Length)).Count('\n');
                throw new UsageException($"HOCON syntax error in {source}:{line}: {first}");
            }

            throw new UsageException($"HOCON error in {source}: {first}");
        }
    }

    private static string Where(string filePath, HoconOutline outline, string path) =>
        outline.LineOf(path) is { } line ? $"{filePath}:{line}" : filePath;

    private static string OriginOf(IReadOnlyList<ConfigOverride> overrides, string path) =>
        overrides.LastOrDefault(o => o.Path == path || o.Path.StartsWith(path + ".", StringComparison.Ordinal) || path.StartsWith(o.Path + ".", StringComparison.Ordinal))?.Origin
        ?? "the command line";

    [GeneratedRegex(@"at position (\d+)")]
    private static partial Regex CharacterPosition();

    [GeneratedRegex(@"'(fedactors\.[^']+)'")]
    private static partial Regex QuotedPath();
}
