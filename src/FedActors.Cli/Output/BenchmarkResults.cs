using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Akka.Configuration;
using FedActors.Cli.Configuration;

namespace FedActors.Cli.Output;

/// <summary>One round of a benchmark cell: the global model's test accuracy after it.</summary>
/// <param name="Round">The round, from 1.</param>
/// <param name="TestAccuracy">The centralised test accuracy in [0, 1]; null when it was not measured (or not finite).</param>
internal sealed record CellRound(int Round, double? TestAccuracy);

/// <summary>What a benchmark cell's metrics.json says about its convergence.</summary>
/// <param name="Strategy">The strategy (the cell's first folder).</param>
/// <param name="Partition">The partition (its second folder).</param>
/// <param name="Seed">The seed (its <c>seed-n</c> folder).</param>
/// <param name="ConfigFile">The <c>--config</c> file the cell ran with, if any.</param>
/// <param name="CommandLine">The command-line settings the cell ran with, as recorded in its metrics.json.</param>
/// <param name="ConfigHash">The run identity's hash (<see cref="RunIdentity"/>) of the configuration the cell ran with.</param>
/// <param name="Rounds">Its completed rounds in order, the initial model (round 0) left out.</param>
internal sealed record CellResult(string Strategy, string Partition, int Seed, string? ConfigFile, IReadOnlyList<string> CommandLine, string? ConfigHash, IReadOnlyList<CellRound> Rounds)
{
    /// <summary>The cell's folder under the benchmark folder.</summary>
    [JsonIgnore]
    public string Id => $"{Strategy}/{Partition}/seed-{Seed.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The highest test accuracy over the rounds, and the first round that reached it; null when no round has one.</summary>
    [JsonIgnore]
    public CellRound? Best => Rounds.Where(r => r.TestAccuracy is not null).OrderByDescending(r => r.TestAccuracy).ThenBy(r => r.Round).FirstOrDefault();

    /// <summary>The last round's test accuracy.</summary>
    [JsonIgnore]
    public double? Final => Rounds.Count > 0 ? Rounds[^1].TestAccuracy : null;

    /// <summary>The configuration in words: the file (or the embedded defaults) and the <c>--set</c> settings.</summary>
    [JsonIgnore]
    public string Setting
    {
        get
        {
            var sets = CommandLine.Where(c => c.StartsWith("--set ", StringComparison.Ordinal)).ToList();
            return (ConfigFile ?? "embedded defaults") + (sets.Count > 0 ? " + " + string.Join(' ', sets) : string.Empty);
        }
    }
}

/// <summary>
/// The cells of a benchmark folder: read from each cell's metrics.json, written as results.json
/// (every cell's per-round accuracies, from which <see cref="BenchmarkTable"/> and
/// <see cref="BenchmarkPlot"/> rebuild results.md and results.png).
/// </summary>
/// <param name="Cells">The cells, in table order.</param>
internal sealed record BenchmarkResults(IReadOnlyList<CellResult> Cells)
{
    /// <summary>The statistic results.md reports, as results.json describes it.</summary>
    public const string Statistic =
        "per cell, the best test accuracy over rounds 1..R (and the last round's); per (strategy, partition), the mean and sample standard deviation (n - 1) over the seeds";

    // A file for people and scripts, not HTML: quotes and ± as they are.
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every cell under <paramref name="directory"/> (<c>strategy/partition/seed-n/metrics.json</c>), with the files that could not be read.</summary>
    public static (IReadOnlyList<CellResult> Cells, IReadOnlyList<string> Problems) Scan(string directory)
    {
        var cells = new List<CellResult>();
        var problems = new List<string>();
        if (!Directory.Exists(directory))
        {
            return (cells, problems);
        }

        foreach (var strategy in Visible(directory))
        {
            foreach (var partition in Visible(strategy))
            {
                foreach (var folder in Visible(partition))
                {
                    var name = Path.GetFileName(folder);
                    if (!name.StartsWith("seed-", StringComparison.Ordinal)
                        || !int.TryParse(name["seed-".Length..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seed))
                    {
                        continue;
                    }

                    if (TryReadCell(folder, Path.GetFileName(strategy), Path.GetFileName(partition), seed, out var problem) is { } cell)
                    {
                        cells.Add(cell);
                    }
                    else if (problem is not null)
                    {
                        problems.Add(problem);
                    }
                }
            }
        }

        return (cells, problems);
    }

    /// <summary>The cell in <paramref name="folder"/>; null when it has no metrics.json, or one that cannot be read (then <paramref name="problem"/> says why).</summary>
    public static CellResult? TryReadCell(string folder, string strategy, string partition, int seed, out string? problem)
    {
        problem = null;
        var metrics = Path.Combine(folder, "metrics.json");
        if (!File.Exists(metrics))
        {
            return null;
        }

        try
        {
            return ReadCell(metrics, strategy, partition, seed);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or InvalidOperationException or FormatException or IOException)
        {
            problem = $"{metrics}: {e.Message}";
            return null;
        }
    }

    /// <summary>Reads one cell from the metrics.json that <c>simulate</c> (and so each cell of the benchmark) writes.</summary>
    /// <exception cref="InvalidDataException">The file is not a metrics.json.</exception>
    public static CellResult ReadCell(string metricsJson, string strategy, string partition, int seed)
    {
        var root = JsonNode.Parse(File.ReadAllText(metricsJson)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
        var history = root["history"] as JsonArray ?? throw new InvalidDataException("no \"history\" array");
        var rounds = history.OfType<JsonObject>()
            .Where(r => r["failure"] is null && r["round"]?.GetValue<int>() > 0)
            .Select(r => new CellRound(r["round"]!.GetValue<int>(), r["testAccuracy"]?.GetValue<double>()))
            .OrderBy(r => r.Round)
            .ToList();
        var sources = root["configSources"] as JsonObject;
        var commandLine = (sources?["commandLine"] as JsonArray)?.Select(c => c?.GetValue<string>()).OfType<string>().ToList() ?? [];
        return new CellResult(strategy, partition, seed, sources?["file"]?.GetValue<string>(), commandLine, IdentityHash(root["config"]), rounds);
    }

    /// <summary>The run identity's hash of a configuration recorded as metrics.json's <c>config</c>.</summary>
    public static string? IdentityHash(JsonNode? config) =>
        config is JsonObject tree
            ? RunIdentity.Of(ConfigurationFactory.ParseString(new JsonObject { ["fedactors"] = tree.DeepClone() }.ToJsonString()))[RunIdentity.HashKey]
            : null;

    /// <summary>Reads a results.json.</summary>
    /// <exception cref="JsonException">The text is not a results.json.</exception>
    public static BenchmarkResults FromJson(string json) =>
        new(JsonSerializer.Deserialize<Document>(json, Options)?.Cells ?? throw new JsonException("results.json has no \"cells\""));

    /// <summary>The results.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(new Document(Statistic, NiidBenchFigures.Source, Cells), Options);

    private static IEnumerable<string> Visible(string folder) =>
        Directory.EnumerateDirectories(folder).Where(d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal);

    private sealed record Document(string? Statistic, string? PublishedFigures, IReadOnlyList<CellResult>? Cells);
}
