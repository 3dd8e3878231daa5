using System.Collections.Immutable;
using System.Diagnostics;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

/// <summary>What the coordinator learns during one attempt at a round, phase by phase, until it becomes the attempt's <see cref="RoundRecord"/>.</summary>
internal sealed class RoundAttempt(RoundNumber round, int attempt, int registered)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public RoundNumber Round { get; } = round;

    public int Attempt { get; } = attempt;

    public int Registered { get; } = registered;

    public ImmutableArray<ClientId> Asked { get; set; } = [];

    public ImmutableArray<ClientId> Answered { get; set; } = [];

    public List<PhaseRecord> Phases { get; } = [];

    public IUpdateAccumulator? Accumulator { get; set; }

    public double? TrainLoss { get; set; }

    public double? TrainAccuracy { get; set; }

    public double? TestLoss { get; set; }

    public double? TestAccuracy { get; set; }

    public EvaluationSummary? Federated { get; set; }

    public ImmutableSortedDictionary<string, double> Metrics { get; set; } = NamedTensors.NoHyperparameters;

    public TimeSpan FitTime { get; set; }

    public TimeSpan AggregateTime { get; set; }

    public TimeSpan EvaluateTime { get; set; }

    public TimeSpan FederatedEvaluateTime { get; set; }

    public TimeSpan SamplingTime { get; set; }

    public TimeSpan SendingTime { get; set; }

    /// <summary>Time since the attempt started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public RoundRecord ToRecord(string? failure, ImmutableArray<Straggler> stragglers) => new(
        Round,
        Attempt,
        Registered,
        Asked,
        Answered,
        [.. Phases.SelectMany(p => p.Dropped)],
        TrainLoss,
        TrainAccuracy,
        TestLoss,
        TestAccuracy,
        Federated,
        Metrics,
        [.. Phases],
        failure,
        stragglers,
        new RoundTimings(FitTime, AggregateTime, EvaluateTime, FederatedEvaluateTime, _clock.Elapsed, SamplingTime, SendingTime));
}
