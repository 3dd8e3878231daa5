using System.Collections.Immutable;
using System.Numerics.Tensors;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The adaptive server optimisers of Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar and
/// McMahan, "Adaptive Federated Optimization", ICLR 2021, arXiv:2003.00295 (Algorithm 2):
/// the round's step and state, shared by <see cref="FedAdagrad"/>, <see cref="FedAdam"/> and
/// <see cref="FedYogi"/>, which differ only in their second moment.
/// </summary>
/// <remarks>
/// Each round, with S the clients whose update arrived and x(t) the global model:
/// <c>Δ(t) = (1/|S|)·Σ_k (x_k − x(t))</c> (or <c>Σ_k (n_k / n)·(x_k − x(t))</c> with
/// <see cref="ClientWeighting.SampleCount"/>),
/// <c>m(t) = β1·m(t−1) + (1 − β1)·Δ(t)</c>,
/// v(t) by the subclass's rule,
/// <c>x(t+1) = x(t) + η·m(t) / (sqrt(v(t)) + τ)</c>, element by element,
/// with <c>m(−1) = 0</c> and <c>v(−1) = τ²</c> (Algorithm 2 asks for v(−1) ≥ τ²; the paper's
/// experiments and Flower start from 0). No bias correction, as published (FedAdam offers it).
/// Algorithm 2 averages uniformly over S, so that is the default; the paper's experiment code
/// and Flower weight by sample count, which <see cref="ClientWeighting.SampleCount"/> selects.
/// The state a checkpoint keeps is m, v and the step count t (<c>&lt;name&gt;.m</c>,
/// <c>&lt;name&gt;.v</c>, <c>&lt;name&gt;.step</c>); the round's metric
/// <c>pseudo-gradient-norm</c> is ‖Δ(t)‖₂.
/// </remarks>
public abstract class FedOpt : IStrategy
{
    private Parameters? _m;
    private Parameters? _v;
    private int _steps;

    /// <summary>Checks and keeps the settings every FedOpt rule reads.</summary>
    /// <param name="serverLearningRate">η: finite and &gt; 0.</param>
    /// <param name="beta1">β1, the first moment's decay, in [0, 1).</param>
    /// <param name="tau">τ, the adaptivity (and √v(−1)): finite and &gt; 0.</param>
    /// <param name="weighting">How the clients' updates are averaged into Δ.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    protected FedOpt(double serverLearningRate, double beta1, double tau, ClientWeighting weighting)
    {
        ServerLearningRate = ServerOptimizerState.RequirePositive(serverLearningRate, nameof(serverLearningRate));
        Beta1 = ServerOptimizerState.RequireDecay(beta1, nameof(beta1));
        Tau = ServerOptimizerState.RequirePositive(tau, nameof(tau));
        Weighting = Enum.IsDefined(weighting) ? weighting : throw new ArgumentOutOfRangeException(nameof(weighting), weighting, "not a ClientWeighting");
    }

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>η, the server learning rate.</summary>
    public double ServerLearningRate { get; }

    /// <summary>β1, the first moment's decay.</summary>
    public double Beta1 { get; }

    /// <summary>τ, the adaptivity.</summary>
    public double Tau { get; }

    /// <summary>How the clients' updates are averaged into the pseudo-gradient.</summary>
    public ClientWeighting Weighting { get; }

    private string MName => Name + ".m";

    private string VName => Name + ".v";

    private string StepName => Name + ".step";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var mean = Aggregation.WeightedMean(
            global.Layout,
            updates.Select(u => (u.Parameters, Weighting == ClientWeighting.SampleCount ? u.SampleCount : 1)).ToList());
        var (previousM, previousV) = _m is not null && _v is not null
            ? (ServerOptimizerState.RequireModelLayout(_m, global, Name, "m"), _v)
            : (Parameters.Zeros(global.Layout), Filled(global.Layout, (float)(Tau * Tau)));

        var delta = new float[global.Length];
        TensorPrimitives.Subtract(mean.Values, global.Values, delta);
        var m = new float[global.Length];
        ServerOptimizers.FirstMoment(previousM.Values, delta, (float)Beta1, m);
        var squared = new float[global.Length];
        TensorPrimitives.Multiply(delta, delta, squared);
        var v = new float[global.Length];
        SecondMoment(previousV.Values, squared, v);

        var step = _steps + 1;
        var (firstScale, secondScale) = MomentCorrection(step);
        var next = new float[global.Length];
        ServerOptimizers.AdaptiveStep(global.Values, m, v, (float)(ServerLearningRate * firstScale), (float)secondScale, (float)Tau, next);

        // Only now, with nothing left to fail, does the state move on.
        (_m, _v, _steps) = (Parameters.Wrap(global.Layout, m), Parameters.Wrap(global.Layout, v), step);
        var metrics = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("pseudo-gradient-norm", (double)TensorPrimitives.Norm<float>(delta))]);
        return new AggregationResult(Parameters.Wrap(global.Layout, next), metrics);
    }

    /// <inheritdoc />
    /// <remarks>Empty before the first round; afterwards m, v and the step count.</remarks>
    public StrategyState ExportState() => _m is null || _v is null
        ? StrategyState.Empty
        : ServerOptimizerState.Of([(MName, _m), (VName, _v)], [(StepName, _steps)]);

    /// <inheritdoc />
    /// <remarks>
    /// The empty state starts afresh (m = 0, v = τ², t = 0). Any other must hold exactly this
    /// strategy's m, v (of one layout, v non-negative) and step count; its layout is checked
    /// against the global model at the next aggregation, the first time the strategy sees it.
    /// </remarks>
    public void ImportState(StrategyState state)
    {
        if (state.IsEmpty)
        {
            (_m, _v, _steps) = (null, null, 0);
            return;
        }

        ServerOptimizerState.RequireExactly(state, Name, [MName, VName], [StepName]);
        ServerOptimizerState.RequireNonNegative(state, Name, VName);
        var steps = ServerOptimizerState.RequireCount(state, Name, StepName);
        (_m, _v, _steps) = (state.Tensors[MName], state.Tensors[VName], steps);
    }

    /// <summary>Writes v(t) from v(t−1) and Δ(t)² (element by element) into <paramref name="destination"/>.</summary>
    /// <param name="previous">v(t−1).</param>
    /// <param name="deltaSquared">Δ(t)².</param>
    /// <param name="destination">Where v(t) goes (a buffer of its own).</param>
    protected abstract void SecondMoment(ReadOnlySpan<float> previous, ReadOnlySpan<float> deltaSquared, Span<float> destination);

    /// <summary>The factors the step applies to m and v at step <paramref name="step"/> (1 for the first round): (1, 1), none, unless a subclass corrects bias.</summary>
    /// <param name="step">t, counting from 1.</param>
    protected virtual (double FirstMoment, double SecondMoment) MomentCorrection(int step) => (1, 1);

    private static Parameters Filled(ParameterLayout layout, float value)
    {
        var values = new float[layout.TotalLength];
        Array.Fill(values, value);
        return Parameters.Wrap(layout, values);
    }
}
