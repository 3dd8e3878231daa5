using System.Collections.Immutable;
using FedActors.Cli.Configuration;
using FedActors.Cli.Simulation;
using FedActors.Core.Metrics;
using FedActors.Core.Tensors;

namespace FedActors.Cli.Tests.Support;

/// <summary>
/// An engine that answers each run with the history its script gives for the run's settings (or
/// fails it when <paramref name="failure"/> says why), and records the settings of every run in order.
/// </summary>
internal sealed class ScriptedEngine(Func<SimulationSettings, ImmutableArray<RoundRecord>> script, Func<SimulationSettings, string?>? failure = null) : ISimulationEngine
{
    /// <summary>An engine whose every run climbs as <see cref="Rounds.History"/> does, for <paramref name="rounds"/> rounds.</summary>
    public ScriptedEngine(int rounds = 3)
        : this(_ => Rounds.History(rounds))
    {
    }

    public List<SimulationSettings> Runs { get; } = [];

    /// <summary>Round 0, then rounds 1.. with these test accuracies.</summary>
    public static ImmutableArray<RoundRecord> Accuracies(params double[] perRound) =>
        [Rounds.Initial(0.1, 2.3), .. perRound.Select((accuracy, i) => Rounds.WithOneDrop(i + 1, accuracy, 1.0 / (i + 1)))];

    public Task<SimulationResult> RunAsync(SimulationSettings settings, SimulationStart start, Action<RoundRecord> onRound, CancellationToken ct)
    {
        Runs.Add(settings);
        var history = script(settings);
        foreach (var record in history)
        {
            onRound(record);
        }

        var reason = failure?.Invoke(settings);
        var final = reason is null ? Parameters.Zeros(new ParameterLayout([new TensorSpec("w", [2])])) : null;
        return Task.FromResult(new SimulationResult(reason is null, reason, history, final, 10_000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)));
    }
}
