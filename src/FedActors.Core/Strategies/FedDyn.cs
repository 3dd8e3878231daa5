using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// FedDyn (federated dynamic regularisation): Acar, Zhao, Matas, Mattina, Whatmough and
/// Saligrama, "Federated Learning Based on Dynamic Regularization", ICLR 2021, arXiv:2111.04263,
/// Algorithm 1.
/// </summary>
/// <remarks>
/// Client k keeps <c>∇L_k(θ_k)</c> from its last fit (zero at first, in the client-state store)
/// and minimises <c>L_k(θ) − ⟨∇L_k(θ_k^{t−1}), θ⟩ + (α/2)·‖θ − θ^{t−1}‖²</c>, so each local step
/// follows <c>∇L_k(θ) − ∇L_k(θ_k^{t−1}) + α·(θ − θ^{t−1})</c>; afterwards
/// <c>∇L_k(θ_k^t) = ∇L_k(θ_k^{t−1}) − α·(θ_k^t − θ^{t−1})</c>. The server keeps h (zero at
/// first, part of the checkpoint): <c>h^t = h^{t−1} − α·(1/m)·Σ_{k∈P_t}(θ_k^t − θ^{t−1})</c>
/// with m the registered clients, and sets <c>θ^t = (1/|P_t|)·Σ_{k∈P_t} θ_k^t − (1/α)·h^t</c>
/// (unweighted, as in the paper).
/// </remarks>
/// <param name="alpha">α, the regularisation strength (&gt; 0; the paper uses 0.01 to 0.1).</param>
public sealed class FedDyn(double alpha) : IStrategy
{
    /// <summary>The hyperparameter that carries α to the clients.</summary>
    public const string AlphaKey = "feddyn.alpha";

    /// <summary>The client state that holds <c>∇L_k(θ_k^{t−1})</c>.</summary>
    public const string ClientGradientKey = "feddyn.gradient";

    private const string StateKey = "h";
    private Parameters? _h;

    /// <summary>α.</summary>
    public double Alpha { get; } = alpha > 0 && double.IsFinite(alpha) ? alpha : throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be > 0");

    /// <inheritdoc />
    public string Name => "feddyn";

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<Protocol.ClientId> sampled, FitConfig baseConfig) =>
        FitPlan.Same(new FitInstructions(baseConfig with { Hyperparameters = baseConfig.Hyperparameters.SetItem(AlphaKey, Alpha) }, NamedTensors.Empty));

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var (model, h) = ServerStep(global, _h ?? Parameters.Zeros(global.Layout), [.. updates.Select(u => u.Parameters)], Alpha, context.RegisteredClients);
        _h = h;
        return AggregationResult.Of(model);
    }

    /// <inheritdoc />
    public StrategyState ExportState() => StrategyState.OfTensor(StateKey, _h);

    /// <inheritdoc />
    public void ImportState(StrategyState state) => _h = state.SingleTensor(StateKey, Name);

    /// <summary>The server step: h and θ^t from the previous model, h and the participants' models.</summary>
    public static (Parameters Model, Parameters H) ServerStep(Parameters previous, Parameters h, IReadOnlyList<Parameters> models, double alpha, int registeredClients)
    {
        var mean = Aggregation.Mean(previous.Layout, models);

        // Σ_{k∈P}(θ_k − θ^{t−1}) = |P|·(mean − θ^{t−1}).
        var drift = Aggregation.AddScaled(mean, previous, -1f);
        var nextH = Aggregation.AddScaled(h, drift, (float)(-alpha * models.Count / Math.Max(registeredClients, models.Count)));
        return (Aggregation.AddScaled(mean, nextH, (float)(-1.0 / alpha)), nextH);
    }

    /// <summary>The client's gradient correction, <c>b = −∇L_k(θ_k^{t−1})</c> (the proximal part is α).</summary>
    internal static Parameters Correction(Parameters gradient) => Aggregation.AddScaled(Parameters.Zeros(gradient.Layout), gradient, -1f);

    /// <summary>The client's end of a fit: <c>∇L_k(θ_k^t) = ∇L_k(θ_k^{t−1}) − α·(θ_k^t − θ^{t−1})</c>, kept for its next fit.</summary>
    internal static (ImmutableSortedDictionary<string, Parameters> Extras, ImmutableSortedDictionary<string, Parameters> State) ClientFinish(
        FitTask task, double alpha, Parameters gradient, Parameters trained)
    {
        var next = Aggregation.AddScaled(gradient, Aggregation.AddScaled(trained, task.Global, -1f), (float)-alpha);
        return (NamedTensors.Empty, task.ClientState.SetItem(ClientGradientKey, next));
    }
}
