using FedActors.Core.Metrics;

namespace FedActors.Cli.Progress;

/// <summary>Progress as plain lines, for logs and CI: one line per round, no cursor movement or colour.</summary>
internal sealed class PlainRoundProgress(TextWriter output) : IRoundProgress
{
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public Task<T> RunAsync<T>(int totalRounds, Func<Action<RoundRecord>, Task<T>> run) =>
        run(record =>
        {
            lock (_gate)
            {
                output.WriteLine(RoundLine.Format(record, totalRounds));
                output.Flush();
            }
        });
}
