using System.Globalization;
using System.Collections.Immutable;
using Akka.Configuration;
using FedActors.Core.Checkpoints;
using FedActors.Core.Tensors;
using FedActors.Cli.Configuration;
using FedActors.Cli.Output;
using FedActors.Cli.Progress;
using FedActors.Cli.Simulation;

namespace FedActors.Cli.Commands;

/// <summary>
/// One <c>simulate</c> invocation: check the configuration, run with a progress display, write
/// the outputs only after success, print the final test accuracy. Errors become one message on
/// stderr and an exit code, never a stack trace.
/// </summary>
internal sealed class SimulationRun(CliConsole console, ISimulationEngine engine, bool plain, string command = "simulate")
{
    /// <summary>Runs the simulation described by the file and the command-line overrides, fresh or from a checkpoint.</summary>
    /// <returns>The exit code.</returns>
    /// <param name="configFile">The <c>--config</c> file, if any.</param>
    /// <param name="overrides">The command-line settings.</param>
    /// <param name="resumeFrom">The checkpoint folder of <c>--resume</c>, if any.</param>
    /// <param name="initialModel">The safetensors file of <c>--initial-model</c>, if any.</param>
    /// <param name="ct">Stops the run.</param>
    public async Task<int> ExecuteAsync(string? configFile, IReadOnlyList<ConfigOverride> overrides, string? resumeFrom, string? initialModel, CancellationToken ct)
    {
        ConfigLayers layers;
        SimulationSettings settings;
        Checkpoint? resume = null;
        var identity = ImmutableSortedDictionary<string, string>.Empty;
        try
        {
            layers = ConfigLayers.Load(configFile, overrides);
            settings = ReadSettings(layers);
            identity = RunIdentity.Of(layers.Effective);
            if (resumeFrom is not null)
            {
                (resume, var skipped) = LoadCheckpoint(resumeFrom, settings, identity);
                foreach (var reason in skipped)
                {
                    await console.Error.WriteLineAsync($"warning: passing over a checkpoint that is not whole: {reason}");
                }

                // A resumed run goes on writing its checkpoints where it found them.
                settings = settings with { CheckpointDirectory = resumeFrom };
            }
            else if (settings.CheckpointDirectory is { } folder && new CheckpointFolder(folder).NewestRound is { } held)
            {
                // The folder keeps its newest checkpoints: a new run's first rounds would be deleted
                // as older than the earlier run's, and a later --resume would continue that run.
                throw new UsageException(
                    $"'fedactors.run.checkpoint-directory' (--checkpoints) is {folder}, which already holds the checkpoints of a run, up to round {held}: continue that run with --resume {folder}, or give this run a new or empty folder");
            }
        }
        catch (UsageException e)
        {
            return await ReportUsageErrorAsync(e);
        }

        await console.Out.WriteLineAsync(Header(settings, layers));
        if (resume is not null)
        {
            await console.Out.WriteLineAsync($"  resuming after round {resume.Server.Round.Value} from {Path.GetFullPath(resumeFrom!)}");
        }

        IRoundProgress progress = console.Terminal is { } terminal && !plain ? new LiveRoundProgress(terminal) : new PlainRoundProgress(console.Out);
        SimulationResult result;
        try
        {
            var start = new SimulationStart(resume, initialModel, identity);
            result = await progress.RunAsync(settings.Server.Rounds, onRound => engine.RunAsync(settings, start, onRound, ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return await FailAsync("the run was cancelled; no outputs were written");
        }
        catch (ConfigurationException e)
        {
            return await ReportUsageErrorAsync(layers.Explain(e));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return await FailAsync(Describe(e));
        }

        if (result.StoppedAfter is { } last)
        {
            return await ReportStopAsync(result, last, settings, configFile);
        }

        if (!result.Succeeded)
        {
            return await FailAsync((result.FailureReason ?? "the run stopped without a reason") + "; no outputs were written");
        }

        var report = new RunReport(
            HoconJson.ToJson(layers.Effective, "fedactors"), layers.FilePath, layers.CommandLineOrigins,
            result.History, result.TestSamples, result.Preparation, result.Training)
        {
            Attack = (settings.Attack.Kind.ToString(), [.. result.Attackers.Select(a => a.Value)]),
            CentralDp = settings.CentralDp,
            StopReason = result.StopReason,
        };
        IReadOnlyList<string> files;
        try
        {
            files = OutputFolder.WriteAtomically(settings.OutputDirectory, folder => WriteOutputs(report, settings, result.Final, folder));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await FailAsync($"cannot write the outputs to {settings.OutputDirectory}: {e.Message}");
        }

        if (result.StopReason is { } stop)
        {
            // A graceful end (the budget): the rounds so far are the run's result, and their outputs are written.
            await console.Out.WriteLineAsync($"stopped before the last round: {stop}");
        }

        await console.Out.WriteLineAsync(Summary(report, files));
        return ExitCodes.Success;
    }

    /// <summary>Prints a usage or configuration error.</summary>
    public async Task<int> ReportUsageErrorAsync(UsageException e)
    {
        await console.Error.WriteLineAsync("error: " + e.Message);
        return ExitCodes.Usage;
    }

    /// <summary>The output files, into <paramref name="folder"/>: metrics (JSON, CSV, PNG) and the final model.</summary>
    internal static void WriteOutputs(RunReport report, SimulationSettings settings, Parameters? final, string folder)
    {
        if (final is not null)
        {
            // A file PyTorch reads as it is (safetensors.torch.load_file) and --initial-model takes back.
            SafetensorsFile.Write(Path.Combine(folder, "model.safetensors"), final, new Dictionary<string, string>
            {
                ["format"] = "pt",
                ["fedactors.model"] = settings.Model,
                ["fedactors.rounds"] = settings.Server.Rounds.ToString(CultureInfo.InvariantCulture),
            });
        }

        MetricsJson.Write(report, Path.Combine(folder, "metrics.json"));
        MetricsCsv.Write(report.History, Path.Combine(folder, "metrics.csv"));
        var title = $"FedActors: {settings.Model}, {settings.Clients} clients ({settings.Scheme}), fraction {settings.Server.FractionFit.ToString(CultureInfo.InvariantCulture)}";
        MetricsPlot.Write(report.FinalAttempts, title, Path.Combine(folder, "metrics.png"));
    }

    private static (Checkpoint Checkpoint, IReadOnlyList<string> Skipped) LoadCheckpoint(string folder, SimulationSettings settings, ImmutableSortedDictionary<string, string> identity)
    {
        Checkpoint checkpoint;
        IReadOnlyList<string> skipped;
        try
        {
            (checkpoint, skipped) = new CheckpointFolder(folder).LoadNewest();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot resume: {e.Message}");
        }

        var differences = RunIdentity.Differences(checkpoint.Run, identity);
        if (differences.Count > 0)
        {
            throw new UsageException(
                $"cannot resume from {folder}: this configuration differs from the checkpointed run's in keys that change the result:"
                + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", differences)
                + Environment.NewLine + "Run it with the same --config and options as the original run (only --rounds may be raised, and output, checkpoint, logging and parallelism keys changed).");
        }

        var done = checkpoint.Server.Round.Value;
        if (settings.Server.Rounds <= done)
        {
            throw new UsageException(
                $"cannot resume from {folder}: its checkpoint is after round {done}, and 'fedactors.run.rounds' is {settings.Server.Rounds}: raise --rounds above {done} to extend the run");
        }

        return (checkpoint, skipped);
    }

    private static SimulationSettings ReadSettings(ConfigLayers layers)
    {
        try
        {
            return SimulationSettings.Read(layers.Effective);
        }
        catch (ConfigurationException e)
        {
            throw layers.Explain(e);
        }
    }

    // Stopped on request: nothing is written but the checkpoints, and the message says how to go on.
    private async Task<int> ReportStopAsync(SimulationResult result, int last, SimulationSettings settings, string? configFile)
    {
        var how = last == 0
            ? "no round had completed, so there is nothing to resume: start the run again"
            : settings.CheckpointDirectory is { } folder
            ? $"the checkpoint of round {last} is in {Path.GetFullPath(folder)}; to continue from round {last + 1}, run with the same options and --resume:\n"
                + $"  fedactors {command}{(configFile is null ? string.Empty : " --config " + configFile)} ... --resume {folder}"
            : "no checkpoint was written ('fedactors.run.checkpoint-directory' is not set: --checkpoints DIR), so the run cannot be resumed";
        await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"run stopped after round {last} of {settings.Server.Rounds} ({result.FailureReason}); no outputs were written\n{how}"));
        return ExitCodes.Stopped;
    }

    private async Task<int> FailAsync(string message)
    {
        await console.Error.WriteLineAsync("run failed: " + message);
        return ExitCodes.RunFailed;
    }

    // The message only: the user needs what went wrong, not where in our code.
    private static string Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerExceptions[0]),
        IOException or UnauthorizedAccessException or InvalidDataException or FedActors.Torch.Data.DatasetException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static double PrivacyEpsilon(Core.Metrics.RoundRecord r) =>
        r.Metrics.TryGetValue(Core.Strategies.DpFedAvg.EpsilonMetric, out var e) ? e : r.Metrics[Core.Strategies.DpFedAvg.UnguaranteedEpsilonMetric];

    private string Header(SimulationSettings s, ConfigLayers layers)
    {
        var source = layers.FilePath is null ? "embedded defaults" : layers.FilePath;
        if (layers.CommandLineOrigins.Count > 0)
        {
            source += " + " + string.Join(" ", layers.CommandLineOrigins);
        }

        var header = string.Create(
            CultureInfo.InvariantCulture,
            $"FedActors {command} ({source})\n  {s.Model}, {s.Clients} clients, {s.Scheme} partitioning, {s.Server.Rounds} rounds, {(s.Server.Sampling == Core.Server.SamplingRule.FixedSize ? string.Empty : "Poisson-sampled, about ")}{s.SampledPerRound} clients per round, "
            + $"{s.Server.Training.LocalEpochs} local epoch(s), batch {s.Server.Training.BatchSize}, lr {s.Server.Training.LearningRate}, parallelism {s.Parallelism}, seed {s.Server.Seed}");
        return s.CentralDp is not { } dp ? header : header + FormattableString.Invariant(
            $"\n  central DP ({s.Strategy.Name}): clip {dp.Clip}{(dp.Adaptive is null ? string.Empty : " (adaptive)")}, noise multiplier {dp.NoiseMultiplier}, q {dp.SamplingRate}, delta {dp.Delta}, {(dp.Accountant == Core.Privacy.AccountantKind.Rdp ? "rdp" : "pld")} accountant, noise {(dp.SecureNoise ? "secure (OS CSPRNG)" : "SEEDED-NON-PRIVATE: no guarantee")}{(dp.EpsilonBudget is { } b ? $", epsilon budget {b}" : string.Empty)}");
    }

    private static string Summary(RunReport report, IReadOnlyList<string> files)
    {
        var final = report.LastEvaluated;
        var privacy = report.CentralDp is { } dp && report.FinalAttempts.LastOrDefault(r => r.Metrics.ContainsKey(Core.Strategies.DpFedAvg.StepsMetric)) is { } last
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"privacy: epsilon {PrivacyEpsilon(last):0.###} at delta {dp.Delta} after {last.Metrics[Core.Strategies.DpFedAvg.StepsMetric]} sampled steps ({(dp.SecureNoise ? "client-level, central DP" : "seeded-non-private noise: NOT a guarantee")})")
            : null;
        var accuracy = final?.TestAccuracy is { } a
            ? string.Create(CultureInfo.InvariantCulture, $"final test accuracy: {a:0.0000} on {report.TestSamples:N0} test images (round {final.Round.Value})")
            : "final test accuracy: not measured (no central evaluation)";
        var times = string.Create(
            CultureInfo.InvariantCulture,
            $"time: preparation {report.Preparation.TotalSeconds:0.0}s, training {report.Training.TotalSeconds:0.0}s");
        return string.Join('\n', [accuracy, .. privacy is null ? Array.Empty<string>() : [privacy], times, "outputs:", .. files.Select(f => "  " + f)]);
    }
}
