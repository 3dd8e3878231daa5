using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// Norm bounding, a defence against backdoors wrapped around another strategy: Sun, Kairouz,
/// Suresh and McMahan, "Can You Really Backdoor Federated Learning?", 2019, arXiv:1911.07963.
/// </summary>
/// <remarks>
/// Each arrived update's delta <c>Δ_k = w_k − w(t)</c> is clipped to the L2 norm bound M before
/// the inner strategy sees it: <c>w_k ← w(t) + Δ_k · min(1, M / ‖Δ_k‖₂)</c> (to float rounding),
/// with ‖Δ_k‖₂ measured by <see cref="Aggregation.UpdateNorm"/>; updates within the bound pass
/// unchanged. The inner strategy then aggregates as it would have (FedAvg in the paper):
/// <c>w(t+1) = inner(w(t), {clipped w_k})</c>. Everything else is the inner strategy's: fit
/// instructions, minimum of updates and its rule, federated evaluation, checkpointed state, and
/// the streaming path when it has one (each update is clipped as it arrives). The round's metrics
/// add <c>clipped-updates</c>, the number of updates that exceeded the bound. Its name is the
/// inner one's wrapped, <c>norm-bounding(fedavg)</c>; configuration names it
/// <c>norm-bounding</c> and the inner strategy in <c>fedactors.strategy.norm-bounding.inner</c>.
/// </remarks>
public sealed class NormBounding : IStrategy
{
    /// <summary>The metric with the number of updates clipped in the round.</summary>
    public const string ClippedMetric = "clipped-updates";

    private readonly IStrategy _inner;

    /// <summary>Creates the wrapper.</summary>
    /// <param name="inner">The strategy that aggregates the clipped updates (from configuration: any catalog strategy but norm-bounding).</param>
    /// <param name="bound">The norm bound M, &gt; 0; 5.0 by default in reference.conf.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bound"/> is not a positive finite number.</exception>
    public NormBounding(IStrategy inner, double bound)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!(bound > 0 && double.IsFinite(bound)))
        {
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "the norm bound must be a positive number");
        }

        _inner = inner;
        Bound = bound;
    }

    /// <summary>The norm bound M.</summary>
    public double Bound { get; }

    /// <inheritdoc />
    public string Name => $"norm-bounding({_inner.Name})";

    /// <inheritdoc />
    public int MinimumUpdates => _inner.MinimumUpdates;

    /// <inheritdoc />
    public string MinimumUpdatesRule => _inner.MinimumUpdatesRule;

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var clipped = updates.Select(u => Clip(global, u)).ToList();
        var count = clipped.Where((u, i) => !ReferenceEquals(u.Parameters, updates[i].Parameters)).Count();
        return WithClippedCount(_inner.AggregateFit(context, global, clipped), count);
    }

    /// <inheritdoc />
    public string? BeforeAttempt(StrategyContext context) => _inner.BeforeAttempt(context);

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, FitConfig baseConfig) =>
        _inner.ConfigureFit(context, global, sampled, baseConfig);

    /// <inheritdoc />
    public IUpdateAccumulator? StartAccumulating(StrategyContext context, Parameters global) =>
        _inner.StartAccumulating(context, global) is { } accumulator ? new ClippingAccumulator(this, global, accumulator) : null;

    /// <inheritdoc />
    public EvaluationSummary AggregateEvaluate(StrategyContext context, IReadOnlyList<ClientEvaluation> results) =>
        _inner.AggregateEvaluate(context, results);

    /// <inheritdoc />
    public StrategyState ExportState() => _inner.ExportState();

    /// <inheritdoc />
    public void ImportState(StrategyState state) => _inner.ImportState(state);

    private static AggregationResult WithClippedCount(AggregationResult result, int clipped) =>
        result with { Metrics = result.Metrics.SetItem(ClippedMetric, clipped) };

    private ClientUpdate Clip(Parameters global, ClientUpdate update) =>
        update with { Parameters = RobustAggregation.ClipUpdate(global, update.Parameters, Bound) };

    private sealed class ClippingAccumulator(NormBounding owner, Parameters global, IUpdateAccumulator inner) : IUpdateAccumulator
    {
        private int _clipped;

        public void Add(ClientUpdate update)
        {
            var clipped = owner.Clip(global, update);
            _clipped += ReferenceEquals(clipped.Parameters, update.Parameters) ? 0 : 1;
            inner.Add(clipped);
        }

        public AggregationResult Complete() => WithClippedCount(inner.Complete(), _clipped);
    }
}
