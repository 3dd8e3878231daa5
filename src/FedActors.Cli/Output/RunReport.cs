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
    /// <summary>The run's attack and its Byzantine clients (none without an attack).</summary>
    public (string Kind, IReadOnlyList<string> Clients) Attack { get; init; } = ("none", []);

    /// <summary>Central DP's settings when it was on (metrics.json then says what its epsilon covers); null otherwise.</summary>
    public FedActors.Core.Privacy.CentralDpSettings? CentralDp { get; init; }

    /// <summary>Why the run ended before its last round (a spent privacy budget); null when every round ran.</summary>
    public string? StopReason { get; init; }

    /// <summary>The completed attempt of each round (failed attempts of a retried round left out), in round order.</summary>
    public IReadOnlyList<RoundRecord> FinalAttempts => History.Where(r => r.Completed).OrderBy(r => r.Round.Value).ToList();

    /// <summary>The last round that has a test accuracy, if any.</summary>
    public RoundRecord? LastEvaluated => History.LastOrDefault(r => r.TestAccuracy is not null);

    /// <summary>The last round that has a federated evaluation, if any.</summary>
    public RoundRecord? LastFederated => History.LastOrDefault(r => r.Federated is not null);
}
