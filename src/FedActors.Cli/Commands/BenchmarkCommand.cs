using System.CommandLine;
using FedActors.Cli.Configuration;
using FedActors.Cli.Output;
using FedActors.Cli.Simulation;
using FedActors.Core.Strategies;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors benchmark</c>: a convergence grid, strategies x partitions x seeds, each cell a
/// full simulation configured as <c>simulate</c> is (defaults &lt; <c>--config</c> &lt; <c>--set</c>
/// &lt; the cell's strategy, partition, seed and folder), run one after another into
/// DIR/strategy/partition/seed-n/; then results.md, results.json and results.png rebuilt from
/// every cell in DIR. A cell already in DIR is kept unless <c>--force</c>.
/// </summary>
internal static class BenchmarkCommand
{
    /// <summary>The benchmark folder when <c>--output</c> is not given.</summary>
    public const string DefaultOutput = "fedactors-output/benchmark";

    /// <summary>Builds the command; its action runs <see cref="BenchmarkRun"/>.</summary>
    public static Command Create(CliConsole console, ISimulationEngine engine)
    {
        var strategies = new Option<string?>("--strategies")
        {
            Description = $"Strategies, comma-separated, of {string.Join(", ", StrategyCatalog.Names)}. Default: {string.Join(",", NiidBenchFigures.Strategies)} (those with published figures).",
            HelpName = "A,B",
        };
        var partitions = new Option<string?>("--partitions")
        {
            Description = $"Partitions, comma-separated: {BenchmarkPartition.Usage}. Default: {string.Join(",", NiidBenchFigures.Partitions)}.",
            HelpName = "P,Q",
        };
        var seeds = new Option<string?>("--seeds")
        {
            Description = $"Seeds (fedactors.run.seed), comma-separated. Default: {string.Join(",", BenchmarkGrid.DefaultSeeds)}.",
            HelpName = "1,2,3",
        };
        var cells = new Option<string[]>("--cell")
        {
            Description = "Runs only the grid's cells that match (repeatable); each part a name or *, e.g. --cell fedavg/dirichlet-0.5/1 or --cell '*/label-quantity-2/*'.",
            HelpName = "STRATEGY/PARTITION/SEED",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var configFile = new Option<string?>("--config") { Description = "HOCON file layered over the embedded defaults, as for simulate (e.g. hocon/niid-bench.conf).", HelpName = "FILE" };
        var sets = new Option<string[]>("--set")
        {
            Description = "Sets any key for every cell, relative to 'fedactors.' (repeatable), as for simulate; each cell's strategy, partition, seed and folder win over it.",
            HelpName = "KEY=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string>("--output")
        {
            Description = "The benchmark folder: each cell's four files in DIR/<strategy>/<partition>/seed-<n>/, and results.md, results.json, results.png.",
            HelpName = "DIR",
            DefaultValueFactory = _ => DefaultOutput,
        };
        var force = new Option<bool>("--force") { Description = "Runs the selected cells again even when DIR already has them." };

        var command = new Command("benchmark", "Runs a convergence grid (strategies x partitions x seeds) of simulations and tabulates best and final test accuracy against NIID-Bench's published figures.");
        foreach (var option in new Option[] { strategies, partitions, seeds, cells, configFile, sets, output, force })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parsed, ct) =>
        {
            var run = new BenchmarkRun(console, engine);
            BenchmarkRequest request;
            try
            {
                request = new BenchmarkRequest(
                    parsed.GetValue(configFile),
                    [.. (parsed.GetValue(sets) ?? []).Select(ConfigOverride.FromSetArgument)],
                    BenchmarkGrid.Cells(parsed.GetValue(strategies), parsed.GetValue(partitions), parsed.GetValue(seeds), parsed.GetValue(cells) ?? []),
                    parsed.GetValue(output) ?? DefaultOutput,
                    parsed.GetValue(force));
            }
            catch (UsageException e)
            {
                return await run.ReportUsageErrorAsync(e);
            }

            return await run.ExecuteAsync(request, ct);
        });
        return command;
    }
}
