using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// FedNova (normalised averaging): Wang, Liu, Liang, Joshi and Poor, "Tackling the Objective
/// Inconsistency Problem in Heterogeneous Federated Optimization", NeurIPS 2020, arXiv:2007.07481.
/// </summary>
/// <remarks>
/// Client i takes τ_i local SGD steps with momentum ρ (it reports τ_i as the metric
/// <c>local-steps</c>), so its update <c>x − y_i</c> is a sum of gradients weighted by a vector
/// whose L1 norm is <c>a_i = [τ_i − ρ·(1 − ρ^τ_i)/(1 − ρ)] / (1 − ρ)</c> (τ_i without momentum).
/// The server normalises each update, <c>d_i = (x − y_i)/a_i</c>, and steps by the effective
/// number of steps <c>τ_eff = Σ_i p_i·a_i</c>: <c>x ← x − τ_eff·Σ_i p_i·d_i</c>, with
/// <c>p_i = n_i/n</c>. With equal τ_i it is FedAvg.
/// </remarks>
public sealed class FedNova : IStrategy
{
    /// <summary>The metric a client reports its number of local steps in.</summary>
    public const string LocalStepsMetric = "local-steps";

    private double _momentum;

    /// <inheritdoc />
    public string Name => "fednova";

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<Protocol.ClientId> sampled, FitConfig baseConfig)
    {
        // The clients' local momentum shapes a_i; they all train with the configured one.
        _momentum = baseConfig.Momentum;
        return FitPlan.Same(new FitInstructions(baseConfig, NamedTensors.Empty));
    }

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var steps = updates.Select(u => u.Metrics.TryGetValue(LocalStepsMetric, out var t) && t >= 1
            ? (int)t
            : throw new ArgumentException($"client {u.Client} reported no '{LocalStepsMetric}' (at least 1): FedNova needs each client's number of local steps", nameof(updates))).ToList();
        var model = ServerStep(global, [.. updates.Select(u => (u.Parameters, u.SampleCount))], steps, _momentum);
        return new AggregationResult(model, NamedTensors.NoHyperparameters.Add("tau-effective", EffectiveSteps(updates.Select(u => u.SampleCount).ToList(), steps, _momentum)));
    }

    /// <summary><c>a_i</c>: the L1 norm of the gradient weights of τ local steps with momentum ρ.</summary>
    public static double NormalisingFactor(int localSteps, double momentum) =>
        momentum == 0 ? localSteps : (localSteps - (momentum * (1 - Math.Pow(momentum, localSteps)) / (1 - momentum))) / (1 - momentum);

    /// <summary>The server step <c>x − τ_eff·Σ_i p_i·(x − y_i)/a_i</c>.</summary>
    public static Parameters ServerStep(Parameters x, IReadOnlyList<(Parameters Model, int Samples)> updates, IReadOnlyList<int> localSteps, double momentum)
    {
        var tauEffective = EffectiveSteps([.. updates.Select(u => u.Samples)], localSteps, momentum);
        double total = updates.Sum(u => (double)u.Samples);

        // x − τ_eff·Σ p_i (x − y_i)/a_i = x·(1 − τ_eff·Σ p_i/a_i) + τ_eff·Σ (p_i/a_i)·y_i.
        var weights = updates.Select((u, i) => u.Samples / total / NormalisingFactor(localSteps[i], momentum)).ToList();
        var result = new float[x.Length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(x.Values, (float)(1 - (tauEffective * weights.Sum())), result);
        for (var i = 0; i < updates.Count; i++)
        {
            Aggregation.RequireLayout(x.Layout, updates[i].Model);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(updates[i].Model.Values, (float)(tauEffective * weights[i]), result, result);
        }

        return Parameters.Wrap(x.Layout, result);
    }

    private static double EffectiveSteps(IReadOnlyList<int> samples, IReadOnlyList<int> localSteps, double momentum)
    {
        double total = samples.Sum(s => (double)s);
        return samples.Select((n, i) => n / total * NormalisingFactor(localSteps[i], momentum)).Sum();
    }
}
