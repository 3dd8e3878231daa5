using System.Collections.Immutable;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Cli.Simulation;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Tests.Support;

/// <summary>An engine that reports hand-made rounds (or a failure) and remembers what it was given.</summary>
internal sealed class FakeEngine(ImmutableArray<RoundRecord> history, string? failure = null) : ISimulationEngine
{
    public SimulationSettings? Settings { get; private set; }

    public Config? Config => Settings?.Runtime.Config;

    public SimulationStart? Start { get; private set; }

    public int Calls { get; private set; }

    /// <summary>When set, the run ends as stopped on request after this round (a server's SIGTERM), with <c>failure</c> as its reason.</summary>
    public int? StoppedAfter { get; init; }

    public Task<SimulationResult> RunAsync(SimulationSettings settings, SimulationStart start, Action<RoundRecord> onRound, CancellationToken ct)
    {
        Calls++;
        Settings = settings;
        Start = start;
        foreach (var record in history)
        {
            onRound(record);
        }

        return Task.FromResult(new SimulationResult(failure is null, failure, history, failure is null ? Core.Tensors.Parameters.Zeros(new Core.Tensors.ParameterLayout([new Core.Tensors.TensorSpec("w", [2])])) : null, 10_000, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30))
        {
            StoppedAfter = StoppedAfter,
        });
    }
}
