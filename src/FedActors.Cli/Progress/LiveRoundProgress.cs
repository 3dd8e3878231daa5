using FedActors.Core.Metrics;
using Spectre.Console;

namespace FedActors.Cli.Progress;

/// <summary>Progress on a terminal: a Spectre.Console bar over the rounds, with each finished round printed above it.</summary>
internal sealed class LiveRoundProgress(IAnsiConsole console) : IRoundProgress
{
    /// <inheritdoc />
    public Task<T> RunAsync<T>(int totalRounds, Func<Action<RoundRecord>, Task<T>> run) =>
        console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"round 1/{totalRounds}", maxValue: totalRounds);
                var gate = new Lock();
                return await run(record =>
                {
                    lock (gate)
                    {
                        console.MarkupLineInterpolated($"[grey]{RoundLine.Format(record, totalRounds)}[/]");
                        task.Value = Math.Min(totalRounds, record.Round.Value);
                        task.Description = record.Round.Value < totalRounds ? $"round {record.Round.Value + 1}/{totalRounds}" : "done";
                        context.Refresh();
                    }
                });
            });
}
