using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// <c>feddual</c>: Federated Dual Averaging (FedDualAvg), Yuan, Zaheer and Reddi, "Federated
/// Composite Optimization", ICML 2021, arXiv:2011.08474, for a loss plus an L1 penalty
/// <c>F(w) + λ·‖w‖₁</c> (λ = 0 for a smooth loss), with the mirror map <c>h(w) = ½‖w‖²</c>.
/// </summary>
/// <remarks>
/// The server keeps a dual state z (z₀ = w₀), broadcasts it, and clients average gradients in
/// the dual space. Client m starts from <c>z_{r,0} = z_r</c> and takes K steps: with the
/// cumulative step size <c>η̃_{r,k} = η_s·η_c·r·K + η_c·k</c>, its primal point is
/// <c>w_{r,k} = ∇(h + η̃_{r,k}·ψ)*(z_{r,k}) = sign(z)·max(|z| − η̃_{r,k}·λ, 0)</c> (soft
/// thresholding), and <c>z_{r,k+1} = z_{r,k} − η_c·∇F_m(w_{r,k})</c>; it sends
/// <c>Δz_m = z_{r,K} − z_r</c>. The server sets <c>z_{r+1} = z_r + η_s·(1/M)·Σ_m Δz_m</c>, and the
/// global model (what is evaluated and saved) is the primal point
/// <c>w_{r+1} = sign(z)·max(|z| − η_s·η_c·(r+1)·K·λ, 0)</c>, which has exact zeros.
/// <para>
/// The seed article's "FedDual" writes <c>α_{t+1} = α_t + η·Σ_k (n_k/n)·g_k^t</c>: α is this z with
/// the opposite sign convention (α = −z), <c>g_k^t = Σ_k ∇F_m(w_{r,k})</c> the client's summed
/// local gradients (Δz_m = −η_c·g_m), and η = η_s·η_c; the paper averages clients uniformly
/// (1/M), the article by sample count, which <c>sample-weighted = on</c> selects. The
/// article's "clients update their models from it" is the primal map above. K is the mean of the
/// clients' reported local steps (all clients take the same K in the paper). The local steps are
/// plain dual-averaging steps: SGD momentum does not apply, and a non-zero momentum is refused.
/// </para>
/// </remarks>
/// <param name="serverLearningRate">η_s (&gt; 0; the paper uses 1).</param>
/// <param name="l1">λ, the L1 penalty (&gt;= 0).</param>
/// <param name="sampleWeighted">Weight Δz_m by sample count (the seed article) instead of uniformly (the paper).</param>
public sealed class FedDual(double serverLearningRate, double l1, bool sampleWeighted) : IStrategy
{
    /// <summary>The extra that carries z_r to the clients.</summary>
    public const string DualKey = "feddual.z";

    /// <summary>The extra that carries Δz_m back.</summary>
    public const string DualDeltaKey = "feddual.delta-z";

    /// <summary>The hyperparameter with <c>η_s·η_c·r·K</c>, the cumulative step size when the round starts.</summary>
    public const string OffsetKey = "feddual.step-offset";

    /// <summary>The hyperparameter with λ.</summary>
    public const string L1Key = "feddual.l1";

    private const string DualState = "z", OffsetState = "offset";
    private Parameters? _z;
    private double _offset;

    // η_c: the clients' configured learning rate, the same for all (it travels in their config).
    private double _localLearningRate;

    /// <summary>η_s.</summary>
    public double ServerLearningRate { get; } = serverLearningRate > 0 && double.IsFinite(serverLearningRate)
        ? serverLearningRate
        : throw new ArgumentOutOfRangeException(nameof(serverLearningRate), serverLearningRate, "the server learning rate must be > 0");

    /// <summary>λ.</summary>
    public double L1 { get; } = l1 >= 0 && double.IsFinite(l1) ? l1 : throw new ArgumentOutOfRangeException(nameof(l1), l1, "the L1 penalty must be >= 0");

    /// <inheritdoc />
    public string Name => "feddual";

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, FitConfig baseConfig)
    {
        if (baseConfig.Momentum != 0)
        {
            throw new ArgumentException($"feddual's clients take plain dual-averaging steps, but 'fedactors.training.momentum' is {baseConfig.Momentum}: set it to 0");
        }

        _z ??= global;
        _localLearningRate = baseConfig.LearningRate;
        var hyperparameters = baseConfig.Hyperparameters.SetItem(OffsetKey, _offset).SetItem(L1Key, L1);
        return FitPlan.Same(new FitInstructions(baseConfig with { Hyperparameters = hyperparameters }, NamedTensors.Empty.Add(DualKey, _z)));
    }

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var z = _z ?? global;
        var deltas = updates.Select(u => (
            Delta: u.Extras.GetValueOrDefault(DualDeltaKey)
                ?? throw new ArgumentException($"client {u.Client} sent no {DualDeltaKey}: is its trainer FedDualAvg-aware?", nameof(updates)),
            Weight: sampleWeighted ? u.SampleCount : 1)).ToList();
        var steps = updates.Average(u => u.Metrics.TryGetValue(FedNova.LocalStepsMetric, out var k) && k >= 1
            ? k
            : throw new ArgumentException($"client {u.Client} reported no '{FedNova.LocalStepsMetric}'", nameof(updates)));
        _z = Aggregation.AddScaled(z, Aggregation.WeightedMean(z.Layout, deltas), (float)ServerLearningRate);
        _offset += ServerLearningRate * _localLearningRate * steps;
        var primal = Primal(_z, _offset * L1);
        var zeros = (double)primal.Values.Count(0f) / primal.Length;
        return new AggregationResult(primal, NamedTensors.NoHyperparameters.Add("zero-weights", zeros).Add("step-offset", _offset));
    }

    /// <inheritdoc />
    public StrategyState ExportState() => _z is null
        ? StrategyState.Empty
        : new StrategyState(NamedTensors.Empty.Add(DualState, _z), NamedTensors.NoHyperparameters.Add(OffsetState, _offset));

    /// <inheritdoc />
    public void ImportState(StrategyState state)
    {
        if (state.IsEmpty)
        {
            (_z, _offset) = (null, 0);
            return;
        }

        (_z, _offset) = state.Tensors.Count == 1 && state.Tensors.TryGetValue(DualState, out var z) && state.Scalars.Count == 1 && state.Scalars.TryGetValue(OffsetState, out var offset)
            ? (z, offset)
            : throw new ArgumentException($"strategy {Name} keeps tensor '{DualState}' and scalar '{OffsetState}', but the checkpoint holds {state.Describe()}", nameof(state));
    }

    /// <summary>The primal point of a dual state: soft thresholding, <c>sign(z)·max(|z| − threshold, 0)</c>.</summary>
    public static Parameters Primal(Parameters z, double threshold)
    {
        var w = new float[z.Length];
        SoftThreshold(z.Values, (float)threshold, w);
        return Parameters.Wrap(z.Layout, w);
    }

    /// <summary>Soft thresholding into <paramref name="destination"/>.</summary>
    public static void SoftThreshold(ReadOnlySpan<float> z, float threshold, Span<float> destination)
    {
        for (var i = 0; i < z.Length; i++)
        {
            var magnitude = MathF.Abs(z[i]) - threshold;
            destination[i] = magnitude > 0 ? MathF.CopySign(magnitude, z[i]) : 0f;
        }
    }
}
