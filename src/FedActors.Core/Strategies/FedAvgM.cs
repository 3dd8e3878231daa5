using System.Collections.Immutable;
using System.Numerics.Tensors;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Federated Averaging with server momentum (FedAvgM): Hsu, Qi and Brown, "Measuring the Effects
/// of Non-Identical Data Distribution for Federated Visual Classification", 2019,
/// arXiv:1909.06335.
/// </summary>
/// <remarks>
/// The server treats the move from the global model to the clients' FedAvg mean as a
/// pseudo-gradient and takes a heavy-ball SGD step on it:
/// <c>Δ = w(t) − Σ_k (n_k / n)·w_k(t+1)</c>, <c>v ← β·v + Δ</c>, <c>w(t+1) = w(t) − η·v</c>,
/// with <c>n = Σ_k n_k</c> over the clients whose update arrived and v = 0 before the first
/// round. This is Hsu et al.'s convention (v ← βv + Δw, and PyTorch SGD's with dampening 0), not
/// the exponential average <c>v ← βv + (1 − β)Δ</c>: at steady state the step is η/(1 − β) times
/// Δ. There is no Nesterov variant. With β = 0 and η = 1 the rule is FedAvg (to float32 round-off).
/// The velocity v is the state a checkpoint keeps (<c>fedavgm.velocity</c>); the round's metric
/// <c>velocity-norm</c> is ‖v‖₂.
/// </remarks>
public sealed class FedAvgM : IStrategy
{
    private const string VelocityName = "fedavgm.velocity";

    private Parameters? _velocity;

    /// <summary>Creates the strategy with no velocity yet.</summary>
    /// <param name="serverLearningRate">η, the server's step size: finite and &gt; 0; 1.0 by default (Hsu et al., Flower).</param>
    /// <param name="momentum">β, in [0, 1); 0.9 by default (the FedAvgM default of Reddi et al.'s experiment code).</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    public FedAvgM(double serverLearningRate = 1.0, double momentum = 0.9)
    {
        ServerLearningRate = ServerOptimizerState.RequirePositive(serverLearningRate, nameof(serverLearningRate));
        Momentum = ServerOptimizerState.RequireDecay(momentum, nameof(momentum));
    }

    /// <inheritdoc />
    public string Name => "fedavgm";

    /// <summary>η, the server learning rate.</summary>
    public double ServerLearningRate { get; }

    /// <summary>β, the server momentum.</summary>
    public double Momentum { get; }

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var mean = Aggregation.WeightedMean(global.Layout, updates.Select(u => (u.Parameters, u.SampleCount)).ToList());
        var previous = _velocity is null ? Parameters.Zeros(global.Layout) : ServerOptimizerState.RequireModelLayout(_velocity, global, Name, "velocity");

        var pseudoGradient = new float[global.Length];
        TensorPrimitives.Subtract(global.Values, mean.Values, pseudoGradient);
        var velocity = new float[global.Length];
        ServerOptimizers.Momentum(previous.Values, pseudoGradient, (float)Momentum, velocity);
        var next = new float[global.Length];
        ServerOptimizers.GradientStep(global.Values, velocity, (float)ServerLearningRate, next);

        _velocity = Parameters.Wrap(global.Layout, velocity);
        var metrics = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("velocity-norm", _velocity.L2Norm())]);
        return new AggregationResult(Parameters.Wrap(global.Layout, next), metrics);
    }

    /// <inheritdoc />
    /// <remarks>Empty before the first round; afterwards the velocity as <c>fedavgm.velocity</c>.</remarks>
    public StrategyState ExportState() =>
        _velocity is null ? StrategyState.Empty : ServerOptimizerState.Of([(VelocityName, _velocity)], []);

    /// <inheritdoc />
    /// <remarks>
    /// The empty state starts afresh (v = 0). The velocity's layout is checked against the global
    /// model at the next aggregation, the first time the strategy sees the model.
    /// </remarks>
    public void ImportState(StrategyState state)
    {
        if (state.IsEmpty)
        {
            _velocity = null;
            return;
        }

        ServerOptimizerState.RequireExactly(state, Name, [VelocityName], []);
        _velocity = state.Tensors[VelocityName];
    }
}
