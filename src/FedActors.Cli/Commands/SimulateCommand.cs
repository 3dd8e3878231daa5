using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FedActors.Cli.Configuration;
using FedActors.Cli.Simulation;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors simulate</c>: options for the most used keys, a generic <c>--set</c>, and a
/// <c>--config</c> file, layered over the embedded defaults (defaults &lt; file &lt; --set &lt; named options).
/// </summary>
internal static class SimulateCommand
{
    /// <summary>A named option that overrides one configuration key.</summary>
    internal sealed record KeyOption(Option Option, Func<ParseResult, ConfigOverride?> Read);

    /// <summary>Builds the command; its action runs <see cref="SimulationRun"/>.</summary>
    public static Command Create(CliConsole console, ISimulationEngine engine) =>
        Create(console, engine, "simulate", "Runs a federated-learning simulation: many virtual clients in this process.", []);

    /// <summary>
    /// Builds a command that runs a whole run as <c>simulate</c> does (the same options, progress
    /// and outputs) on <paramref name="engine"/>: <c>simulate</c> itself, and <c>server</c>.
    /// </summary>
    public static Command Create(CliConsole console, ISimulationEngine engine, string name, string description, IReadOnlyList<KeyOption> extra)
    {
        var configFile = new Option<string?>("--config") { Description = "HOCON file layered over the embedded defaults (hocon/reference*.conf); it may include others (include \"seed-example.conf\").", HelpName = "FILE" };
        var sets = new Option<string[]>("--set")
        {
            Description = "Sets any key, relative to 'fedactors.' (repeatable), e.g. --set server.round-timeout=30s; keys starting with 'akka.' are set as they are.",
            HelpName = "KEY=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines even on a terminal." };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue a run from the newest whole checkpoint in DIR (its fedactors.run.checkpoint-directory), with the same configuration; only --rounds may be raised.",
            HelpName = "DIR",
        };
        var initialModel = new Option<string?>("--initial-model")
        {
            Description = "Start from the parameters in a safetensors file (such as a run's model.safetensors) instead of the seeded initialisation.",
            HelpName = "FILE",
        };
        KeyOption[] keyOptions =
        [
            Whole("--rounds", "run.rounds", "Training rounds."),
            Whole("--clients", "simulation.clients", "Virtual clients."),
            Text("--strategy", "strategy.name", $"Aggregation strategy: {string.Join(", ", FedActors.Core.Strategies.StrategyCatalog.Names)} (each tuned in fedactors.strategy.<name>)."),
            Text("--model", "simulation.model", $"Model: {string.Join(", ", SimulationSettings.Models)}."),
            Text("--partition", "simulation.partitioning.scheme", $"Partitioning scheme: {string.Join(", ", SimulationSettings.Schemes)}."),
            Number("--alpha", "simulation.partitioning.alpha", "Dirichlet concentration for dirichlet and quantity-skew (> 0)."),
            Number("--fraction-fit", "server.fraction-fit", "Share of clients sampled per round, in (0, 1]."),
            Whole("--local-epochs", "training.local-epochs", "Local epochs per round."),
            Whole("--batch-size", "training.batch-size", "Local batch size."),
            Number("--learning-rate", "training.learning-rate", "Local SGD learning rate."),
            Whole("--parallelism", "training.parallelism", "Clients training at the same time."),
            Whole("--seed", "run.seed", "Seed for every random decision."),
            Text("--output", "simulation.output-directory", "Folder for metrics.json, metrics.csv, metrics.png and model.safetensors.", "DIR"),
            Text("--checkpoints", "run.checkpoint-directory", "Folder for a checkpoint after every round (for --resume).", "DIR"),
            Number("--fraction-evaluate", "server.fraction-evaluate", "Share of clients asked for federated evaluation after each round (0 = off)."),
            Text("--privacy", "privacy.mode", "Differential privacy: off, central (DP-FedAvg around the strategy, Poisson sampling at --fraction-fit) or local.", "MODE"),
            Number("--noise-multiplier", "privacy.central.noise-multiplier", "Central DP: z, the noise's standard deviation over the clip norm (> 0)."),
            Number("--clip", "privacy.central.clip", "Central DP: C, the L2 bound on each client's update (> 0; the initial C with adaptive clipping)."),
            Number("--epsilon-budget", "privacy.epsilon-budget", "Central DP: stop before the round that would take epsilon above this."),
            .. extra,
        ];

        var command = new Command(name, description);
        command.Options.Add(configFile);
        foreach (var option in keyOptions)
        {
            command.Options.Add(option.Option);
        }

        command.Options.Add(sets);
        command.Options.Add(plain);
        command.Options.Add(resume);
        command.Options.Add(initialModel);
        command.SetAction(async (parsed, ct) =>
        {
            // --set first, then the named options, so that a named option wins over --set for the same key.
            var overrides = new List<ConfigOverride>();
            var run = new SimulationRun(console, engine, plain: parsed.GetValue(plain), name);
            try
            {
                overrides.AddRange((parsed.GetValue(sets) ?? []).Select(ConfigOverride.FromSetArgument));
                overrides.AddRange(keyOptions.Select(o => o.Read(parsed)).OfType<ConfigOverride>());
            }
            catch (UsageException e)
            {
                return await run.ReportUsageErrorAsync(e);
            }

            return await run.ExecuteAsync(parsed.GetValue(configFile), overrides, parsed.GetValue(resume), parsed.GetValue(initialModel), ct);
        });
        return command;
    }

    internal static KeyOption Whole(string name, string key, string description)
    {
        var option = new Option<int?>(name)
        {
            Description = $"{description} Sets fedactors.{key}.",
            HelpName = "N",
            CustomParser = r => ParseToken<int>(r, name, "a whole number", t => int.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null),
        };
        return new KeyOption(option, r => r.GetValue(option) is { } v ? new ConfigOverride(key, v.ToString(CultureInfo.InvariantCulture), $"{name} {v}") : null);
    }

    internal static KeyOption Number(string name, string key, string description)
    {
        var option = new Option<double?>(name)
        {
            Description = $"{description} Sets fedactors.{key}.",
            HelpName = "X",
            CustomParser = r => ParseToken<double>(r, name, "a number", t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null),
        };
        return new KeyOption(option, r => r.GetValue(option) is { } v ? new ConfigOverride(key, v.ToString("R", CultureInfo.InvariantCulture), $"{name} {v.ToString(CultureInfo.InvariantCulture)}") : null);
    }

    internal static KeyOption Text(string name, string key, string description, string helpName = "NAME")
    {
        var option = new Option<string?>(name) { Description = $"{description} Sets fedactors.{key}.", HelpName = helpName };
        return new KeyOption(option, r => r.GetValue(option) is { } v ? new ConfigOverride(key, ConfigOverride.Quote(v), $"{name} {v}") : null);
    }

    // System.CommandLine's own message names the CLR type ('System.Nullable`1[System.Int32]'); say it in words.
    private static T? ParseToken<T>(ArgumentResult result, string name, string expected, Func<string, T?> parse)
        where T : struct
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        var value = parse(token);
        if (value is null)
        {
            result.AddError($"{name} must be {expected}, not '{token}'");
        }

        return value;
    }
}
