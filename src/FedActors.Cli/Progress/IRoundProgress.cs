using FedActors.Core.Metrics;

namespace FedActors.Cli.Progress;

/// <summary>Shows a run's progress, one update per round record.</summary>
internal interface IRoundProgress
{
    /// <summary>Runs <paramref name="run"/>, giving it the callback that reports each round.</summary>
    Task<T> RunAsync<T>(int totalRounds, Func<Action<RoundRecord>, Task<T>> run);
}
