using System.Diagnostics;
using System.Globalization;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Cli.Output;
using FedActors.Cli.Simulation;
using FedActors.Core.Strategies;

namespace FedActors.Cli.Commands;

/// <summary>What one <c>benchmark</c> invocation asks for.</summary>
/// <param name="ConfigFile">The <c>--config</c> file, if any.</param>
/// <param name="Sets">The <c>--set</c> settings, under each cell's own.</param>
/// <param name="Cells">The cells, in run order.</param>
/// <param name="Output">The benchmark folder: cells in <c>strategy/partition/seed-n/</c>, results.md, .json and .png at the top.</param>
/// <param name="Force">Run present cells again.</param>
internal sealed record BenchmarkRequest(string? ConfigFile, IReadOnlyList<ConfigOverride> Sets, IReadOnlyList<BenchmarkCell> Cells, string Output, bool Force);

/// <summary>
/// One <c>benchmark</c> invocation: check every cell's configuration before anything runs, run
/// the cells that are not in the folder yet one after another, each exactly as
/// <c>simulate</c> runs it (<see cref="SimulationRun"/>: the same configuration path, engine,
/// progress lines and output files), then rebuild results.md, results.json and results.png from
/// every cell present in the folder.
/// </summary>
internal sealed class BenchmarkRun(CliConsole console, ISimulationEngine engine)
{
    /// <summary>Runs the request.</summary>
    /// <returns>The exit code: 0 when every cell asked for is present at the end, 1 when one failed or the run was cancelled, 2 for a bad command line or configuration (nothing ran).</returns>
    public async Task<int> ExecuteAsync(BenchmarkRequest request, CancellationToken ct)
    {
        IReadOnlyList<PlannedCell> plan;
        try
        {
            plan = Plan(request);
        }
        catch (UsageException e)
        {
            return await ReportUsageErrorAsync(e);
        }

        var kept = request.Force ? 0 : plan.Count(p => p.Present is not null);
        await console.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"FedActors benchmark ({Sources(request)}): {plan.Count} cell{(plan.Count == 1 ? string.Empty : "s")} into {request.Output}, {plan.Count - kept} to run, {kept} present and kept"));

        var failed = new List<string>();
        string? cancelledIn = null;
        for (var i = 0; i < plan.Count && cancelledIn is null; i++)
        {
            var planned = plan[i];
            var tag = string.Create(CultureInfo.InvariantCulture, $"[{i + 1}/{plan.Count}] {planned.Cell.Strategy} {planned.Cell.Partition.Name} seed {planned.Cell.Seed}");
            if (planned.Present is { } present && !request.Force)
            {
                await console.Out.WriteLineAsync($"{tag}: present in {planned.Folder}, kept (--force runs it again)");
                await WarnIfDifferentAsync(planned, present);
                continue;
            }

            await console.Out.WriteLineAsync($"{tag}: running into {planned.Folder}");
            var clock = Stopwatch.StartNew();
            var exit = await Simulation().ExecuteAsync(request.ConfigFile, planned.Overrides, resumeFrom: null, initialModel: null, ct);
            if (ct.IsCancellationRequested)
            {
                cancelledIn = planned.Cell.Id;
            }
            else if (exit != ExitCodes.Success)
            {
                failed.Add(planned.Cell.Id);
                await console.Out.WriteLineAsync($"{tag}: failed; its folder is left as it was");
            }
            else
            {
                await console.Out.WriteLineAsync($"{tag}: done in {clock.Elapsed.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s, {Outcome(planned.Folder, planned.Cell)}");
            }
        }

        var written = await RebuildAsync(request.Output);
        if (cancelledIn is not null)
        {
            await console.Error.WriteLineAsync($"benchmark cancelled during {cancelledIn}; the tables cover the cells present");
            return ExitCodes.RunFailed;
        }

        if (failed.Count > 0)
        {
            await console.Error.WriteLineAsync($"{failed.Count} cell(s) failed: {string.Join(", ", failed)}; run the same command again to retry them");
            return ExitCodes.RunFailed;
        }

        return written ? ExitCodes.Success : ExitCodes.RunFailed;
    }

    // Each cell's layered configuration, read and checked as simulate checks it, before any cell runs.
    private static List<PlannedCell> Plan(BenchmarkRequest request)
    {
        var plan = new List<PlannedCell>();
        foreach (var cell in request.Cells)
        {
            var overrides = request.Sets.Concat(cell.Overrides(request.Output)).ToList();
            var layers = ConfigLayers.Load(request.ConfigFile, overrides);
            SimulationSettings settings;
            try
            {
                settings = SimulationSettings.Read(layers.Effective);
            }
            catch (ConfigurationException e)
            {
                throw new UsageException($"cell {cell.Id}: {layers.Explain(e).Message}");
            }

            var folder = cell.Folder(request.Output);
            plan.Add(new PlannedCell(cell, folder, overrides, settings.Server.Rounds, RunIdentity.Of(layers.Effective)[RunIdentity.HashKey], TryRead(folder, cell)));
        }

        return plan;
    }

    // A cell whose metrics.json cannot be read counts as absent: it runs again.
    private static CellResult? TryRead(string folder, BenchmarkCell cell) =>
        BenchmarkResults.TryReadCell(folder, cell.Strategy, cell.Partition.Name, cell.Seed, out _);

    /// <summary>Prints a usage or configuration error as <c>simulate</c> does.</summary>
    /// <returns>The exit code for it (2).</returns>
    public Task<int> ReportUsageErrorAsync(UsageException e) => Simulation().ReportUsageErrorAsync(e);

    // One cell's run: simulate's own, with plain progress lines.
    private SimulationRun Simulation() => new(console, engine, plain: true);

    private async Task WarnIfDifferentAsync(PlannedCell planned, CellResult present)
    {
        if (present.ConfigHash != planned.ConfigHash)
        {
            await console.Error.WriteLineAsync(
                $"warning: {planned.Cell.Id} was run with another configuration than this command's (a key that changes the result differs; see its metrics.json \"config\"); it is kept, --force runs it again");
        }

        if (present.Rounds.Count != planned.Rounds)
        {
            await console.Error.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"warning: {planned.Cell.Id} has {present.Rounds.Count} rounds and this command's configuration {planned.Rounds}; it is kept, --force runs it again"));
        }
    }

    private static string Outcome(string folder, BenchmarkCell cell)
    {
        return TryRead(folder, cell) is { Best: { TestAccuracy: { } best } b } result
            ? string.Create(CultureInfo.InvariantCulture, $"best test accuracy {best:0.0000} (round {b.Round}), final {result.Final:0.0000}")
            : "no test accuracy recorded";
    }

    // Every cell present in the folder, in table order, into results.json, results.md and results.png.
    private async Task<bool> RebuildAsync(string output)
    {
        var (cells, problems) = BenchmarkResults.Scan(output);
        foreach (var problem in problems)
        {
            await console.Error.WriteLineAsync($"warning: passing over a cell whose metrics.json cannot be read: {problem}");
        }

        if (cells.Count == 0)
        {
            await console.Out.WriteLineAsync($"no cell in {output} has results yet: no tables written");
            return true;
        }

        var results = new BenchmarkResults([.. cells.OrderBy(c => StrategyOrder(c.Strategy)).ThenBy(c => c.Strategy, StringComparer.Ordinal)
            .ThenBy(c => PartitionOrder(c.Partition)).ThenBy(c => c.Partition, StringComparer.Ordinal).ThenBy(c => c.Seed)]);
        IReadOnlyList<string> files;
        try
        {
            files = OutputFolder.WriteAtomically(output, folder =>
            {
                File.WriteAllText(Path.Combine(folder, "results.json"), results.ToJson());
                BenchmarkTable.Write(results, Path.Combine(folder, "results.md"));
                BenchmarkPlot.Write(BenchmarkRow.Of(results.Cells), Path.Combine(folder, "results.png"));
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync($"run failed: cannot write the results to {output}: {e.Message}");
            return false;
        }

        var lines = BenchmarkTable.MeasuredTable(BenchmarkRow.Of(results.Cells));
        await console.Out.WriteLineAsync(string.Join('\n', [$"results of the {cells.Count} cells in {output}:", .. lines, "outputs:", .. files.Select(f => "  " + f)]));
        return true;
    }

    private static int StrategyOrder(string strategy) =>
        StrategyCatalog.Names.ToList().IndexOf(strategy) is var i and >= 0 ? i : int.MaxValue;

    private static (int, double) PartitionOrder(string name)
    {
        try
        {
            return BenchmarkPartition.Parse(name, "the folder").Order;
        }
        catch (UsageException)
        {
            return (int.MaxValue, 0);
        }
    }

    private static string Sources(BenchmarkRequest request) =>
        (request.ConfigFile ?? "embedded defaults") + (request.Sets.Count > 0 ? " + " + string.Join(' ', request.Sets.Select(s => s.Origin)) : string.Empty);

    /// <summary>A cell with its checked configuration and what the folder already holds of it.</summary>
    private sealed record PlannedCell(BenchmarkCell Cell, string Folder, IReadOnlyList<ConfigOverride> Overrides, int Rounds, string ConfigHash, CellResult? Present);
}
