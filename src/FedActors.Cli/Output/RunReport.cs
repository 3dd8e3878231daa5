using System.Collections.Immutable;
using System.Text.Json.Nodes;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Output;

/// <summary>Everything the output files are written from.</summary>
/// <param name="Config">The <c>fedactors</c> configuration the run used, as JSON.</param>
/// <param name="ConfigFile">The <c>--config</c> file, if any.</param>
/// <param name="CommandLine">The command-line settings, as typed.</param>
/// <param name="History">Every round's record, in order.</param>
/// <param name="TestSamples">Size of the test set behind the test accuracy.</param>
/// <param name="Preparation">Wall time before the first round.</param>
/// <param name="Training">Wall time of the rounds.</param>
internal sealed record RunReport(
    JsonObject Config,
    string? ConfigFile,
    IReadOnlyList<string> CommandLine,
    ImmutableArray<RoundRecord> History,
    int TestSamples,
    TimeSpan Preparation,
    TimeSpan Training)
{
    /// <summary>The last record of each round (a retried round keeps only its last attempt), in round order.</summary>
    public IReadOnlyList<RoundRecord> FinalAttempts =>
        History.GroupBy(r => r.Round.Value).OrderBy(g => g.Key).Select(g => g.Last()).ToList();

    /// <summary>The last round that has a test accuracy, if any.</summary>
    public RoundRecord? LastEvaluated => History.LastOrDefault(r => r.TestAccuracy is not null);
}
