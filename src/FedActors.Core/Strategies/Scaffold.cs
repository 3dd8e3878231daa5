using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// SCAFFOLD (stochastic controlled averaging): Karimireddy, Kale, Mohri, Reddi, Stich and
/// Suresh, "SCAFFOLD: Stochastic Controlled Averaging for Federated Learning", ICML 2020,
/// arXiv:1910.06378, Algorithm 1 with option II control variates.
/// </summary>
/// <remarks>
/// The server keeps the model x and a control variate c (zero at first, part of the checkpoint);
/// each client i keeps its own c_i (zero at first, in the client-state store, so it survives
/// restarts). Client i starts from y_i = x and takes K local steps
/// <c>y_i ← y_i − η_l·(g_i(y_i) − c_i + c)</c> (with local momentum, the correction
/// <c>−η_l·(c − c_i)</c> is applied to the weights after each optimiser step, as NIID-Bench's and
/// Flower's SCAFFOLD do: see <see cref="LocalObjective"/>); then
/// <c>c_i⁺ = c_i − c + (x − y_i) / (K·η_l)</c> (option II), and it sends
/// <c>Δy_i = y_i − x</c> (as its model y_i) and <c>Δc_i = c_i⁺ − c_i</c>. The server averages over
/// the sampled clients S that answered, unweighted as in the paper:
/// <c>x ← x + η_g·(1/|S|)·Σ Δy_i</c> and <c>c ← c + (|S|/N)·(1/|S|)·Σ Δc_i</c>, with N the
/// registered clients. With c and every c_i held at zero and η_g = 1 it is the unweighted mean
/// of the clients' models.
/// </remarks>
/// <param name="serverLearningRate">η_g, the global step size (&gt; 0; the paper uses 1).</param>
public sealed class Scaffold(double serverLearningRate) : IStrategy
{
    /// <summary>The extra that carries c to the clients.</summary>
    public const string GlobalControlKey = "scaffold.c";

    /// <summary>The client state that holds c_i.</summary>
    public const string ClientControlKey = "scaffold.c-i";

    /// <summary>The extra that carries Δc_i back.</summary>
    public const string ControlDeltaKey = "scaffold.delta-c";

    private const string StateKey = "c";
    private Parameters? _control;

    /// <summary>η_g.</summary>
    public double ServerLearningRate { get; } = serverLearningRate > 0 && double.IsFinite(serverLearningRate)
        ? serverLearningRate
        : throw new ArgumentOutOfRangeException(nameof(serverLearningRate), serverLearningRate, "the server learning rate must be > 0");

    /// <inheritdoc />
    public string Name => "scaffold";

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<Protocol.ClientId> sampled, FitConfig baseConfig) =>
        FitPlan.Same(new FitInstructions(baseConfig, NamedTensors.Empty.Add(GlobalControlKey, Control(global.Layout))));

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var deltas = updates.Select(u => u.Extras.GetValueOrDefault(ControlDeltaKey)
            ?? throw new ArgumentException($"client {u.Client} sent no {ControlDeltaKey}: is its trainer SCAFFOLD-aware (LocalObjective)?", nameof(updates))).ToList();
        var (model, control) = ServerStep(global, Control(global.Layout), [.. updates.Select(u => u.Parameters)], deltas, ServerLearningRate, context.RegisteredClients);
        _control = control;
        return AggregationResult.Of(model);
    }

    /// <inheritdoc />
    public StrategyState ExportState() => StrategyState.OfTensor(StateKey, _control);

    /// <inheritdoc />
    public void ImportState(StrategyState state) => _control = state.SingleTensor(StateKey, Name);

    /// <summary>The server step: <c>x + η_g·mean(y_i − x)</c> and <c>c + (|S|/N)·mean(Δc_i)</c>.</summary>
    public static (Parameters Model, Parameters Control) ServerStep(
        Parameters x, Parameters c, IReadOnlyList<Parameters> models, IReadOnlyList<Parameters> controlDeltas, double serverLearningRate, int registeredClients)
    {
        var meanModel = Aggregation.Mean(x.Layout, models);
        var step = Aggregation.AddScaled(meanModel, x, -1f);
        var model = Aggregation.AddScaled(x, step, (float)serverLearningRate);
        var control = Aggregation.AddScaled(c, Aggregation.Mean(x.Layout, controlDeltas), (float)((double)models.Count / Math.Max(registeredClients, models.Count)));
        return (model, control);
    }

    /// <summary>The client's step correction, <c>c − c_i</c>.</summary>
    internal static Parameters Correction(Parameters c, Parameters ci) => Aggregation.AddScaled(c, ci, -1f);

    /// <summary>
    /// The client's end of a fit (option II): <c>c_i⁺ = c_i − c + (x − y_i)/(K·η_l)</c>; sends
    /// <c>Δc_i = c_i⁺ − c_i</c> and keeps c_i⁺.
    /// </summary>
    internal static (ImmutableSortedDictionary<string, Parameters> Extras, ImmutableSortedDictionary<string, Parameters> State) ClientFinish(
        FitTask task, Parameters c, Parameters ci, Parameters trained, int localSteps)
    {
        var next = ClientControl(task.Global, trained, c, ci, localSteps, task.Config.LearningRate);
        return (NamedTensors.Empty.Add(ControlDeltaKey, Aggregation.AddScaled(next, ci, -1f)), task.ClientState.SetItem(ClientControlKey, next));
    }

    /// <summary>Option II: <c>c_i⁺ = c_i − c + (x − y_i)/(K·η_l)</c>.</summary>
    public static Parameters ClientControl(Parameters x, Parameters y, Parameters c, Parameters ci, int localSteps, double localLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(localSteps, 1);
        var drift = Aggregation.AddScaled(x, y, -1f);
        return Aggregation.AddScaled(Correction(ci, c), drift, (float)(1.0 / (localSteps * localLearningRate)));
    }

    private Parameters Control(ParameterLayout layout) => _control ??= Parameters.Zeros(layout);
}
