using System.Collections.Immutable;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Support;

/// <summary>
/// A stateful test strategy: FedAvg with server momentum (FedAvgM), Hsu, Qi and Brown,
/// "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
/// Classification", 2019, arXiv:1909.06335.
/// </summary>
/// <remarks>
/// With the FedAvg mean <c>w̄ = Σ_k (n_k/n)·w_k</c>: <c>v ← β·v + (w − w̄)</c>, <c>w ← w − v</c>.
/// The velocity v and the step count are its state, exported for checkpoints.
/// </remarks>
internal sealed class ServerMomentum(float beta = 0.9f) : IStrategy
{
    private Parameters? _velocity;
    private int _steps;

    public string Name => "server-momentum";

    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var mean = Aggregation.WeightedMean(global.Layout, updates.Select(u => (u.Parameters, u.SampleCount)).ToList()).Values;
        var w = global.Values;
        var velocity = new float[w.Length];
        var next = new float[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            velocity[i] = (beta * (_velocity is null ? 0f : _velocity.Values[i])) + (w[i] - mean[i]);
            next[i] = w[i] - velocity[i];
        }

        _velocity = Parameters.Wrap(global.Layout, velocity);
        _steps++;
        var metrics = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("velocity-norm", _velocity.L2Norm())]);
        return new AggregationResult(Parameters.Wrap(global.Layout, next), metrics);
    }

    public StrategyState ExportState() => _velocity is null
        ? StrategyState.Empty
        : new StrategyState(
            TestParameters.Named(("velocity", _velocity)),
            ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("steps", (double)_steps)]));

    public void ImportState(StrategyState state)
    {
        if (state.IsEmpty)
        {
            (_velocity, _steps) = (null, 0);
            return;
        }

        if (!state.Tensors.TryGetValue("velocity", out var velocity) || !state.Scalars.TryGetValue("steps", out var steps))
        {
            throw new ArgumentException($"strategy {Name} keeps a velocity and a step count, but the checkpoint holds {state.Describe()}", nameof(state));
        }

        (_velocity, _steps) = (velocity, (int)steps);
    }
}
