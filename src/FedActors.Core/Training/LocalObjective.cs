using System.Collections.Immutable;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// The client's part of a strategy, for any trainer: how its local steps are corrected, and what
/// it sends back and keeps after training. FedProx and FedDyn add <c>μ·(w − w_global) + b</c> to
/// the gradient of the local loss at every step (as a term of the loss would, so it passes through
/// the optimiser's momentum), with their own μ and b (<see cref="Proximal"/>, <see cref="Linear"/>);
/// SCAFFOLD moves the weights by <c>−η·(c − c_i)</c> after every optimiser step
/// (<see cref="AfterStep"/>), which is its rule <c>y ← y − η·(g − c_i + c)</c> without momentum and,
/// with momentum, what NIID-Bench's and Flower's SCAFFOLD do: a correction through the momentum
/// buffer would be amplified by 1/(1 − ρ) while option II's c_i already carries that factor. A
/// trainer applies these and calls <see cref="Finish"/> with what it trained. A strategy's client part is chosen by
/// what the strategy sends: <c>fedprox.mu</c> or <c>feddyn.alpha</c> among the hyperparameters,
/// <c>scaffold.c</c> among the extras; anything else trains the local loss alone (FedAvg).
/// </summary>
public sealed class LocalObjective
{
    private readonly Func<Parameters, int, (ImmutableSortedDictionary<string, Parameters> Extras, ImmutableSortedDictionary<string, Parameters> State)> _finish;

    private LocalObjective(
        double proximal,
        Parameters? linear,
        Parameters? afterStep,
        Func<Parameters, int, (ImmutableSortedDictionary<string, Parameters>, ImmutableSortedDictionary<string, Parameters>)> finish)
    {
        Proximal = proximal;
        Linear = linear;
        AfterStep = afterStep;
        _finish = finish;
    }

    /// <summary>μ: the coefficient of <c>(w − w_global)</c> added to each gradient; 0 for none.</summary>
    public double Proximal { get; }

    /// <summary>b: a constant added to each gradient, in the global model's layout; null for none.</summary>
    public Parameters? Linear { get; }

    /// <summary>d: after each optimiser step the weights move by <c>−η·d</c>, η the local learning rate; null for none.</summary>
    public Parameters? AfterStep { get; }

    /// <summary>True when the steps need no correction (FedAvg's client).</summary>
    public bool IsPlain => Proximal == 0 && Linear is null && AfterStep is null;

    /// <summary>The client part that <paramref name="task"/>'s strategy asks for.</summary>
    /// <exception cref="ArgumentException">The strategy's extras or the client's state do not fit the global model.</exception>
    public static LocalObjective For(FitTask task)
    {
        if (task.Extras.TryGetValue(Scaffold.GlobalControlKey, out var c))
        {
            var ci = task.ClientState.GetValueOrDefault(Scaffold.ClientControlKey) ?? Parameters.Zeros(task.Global.Layout);
            return new LocalObjective(0, null, Scaffold.Correction(c, ci), (trained, steps) => Scaffold.ClientFinish(task, c, ci, trained, steps));
        }

        if (task.Config.Hyperparameters.TryGetValue(FedDyn.AlphaKey, out var alpha))
        {
            var gradient = task.ClientState.GetValueOrDefault(FedDyn.ClientGradientKey) ?? Parameters.Zeros(task.Global.Layout);
            return new LocalObjective(alpha, FedDyn.Correction(gradient), null, (trained, _) => FedDyn.ClientFinish(task, alpha, gradient, trained));
        }

        if (task.Config.Hyperparameters.TryGetValue(FedProx.MuKey, out var mu))
        {
            return new LocalObjective(mu, null, null, (_, _) => (NamedTensors.Empty, task.ClientState));
        }

        return new LocalObjective(0, null, null, (_, _) => (NamedTensors.Empty, task.ClientState));
    }

    /// <summary>What the client sends with its update (extras) and keeps for its next fit (state), from the trained model and the number of local steps.</summary>
    public (ImmutableSortedDictionary<string, Parameters> Extras, ImmutableSortedDictionary<string, Parameters> State) Finish(Parameters trained, int localSteps) =>
        _finish(trained, localSteps);

    /// <summary>
    /// The correction of one gradient slice in place: <c>g += μ·(w − w_global) + b</c>, for a
    /// trainer that keeps its own buffers (pure C#); TorchSharp applies the same rule on tensors.
    /// </summary>
    public void Apply(Span<float> gradient, ReadOnlySpan<float> weights, ReadOnlySpan<float> global, ReadOnlySpan<float> linear)
    {
        for (var i = 0; i < gradient.Length; i++)
        {
            gradient[i] += (float)(Proximal * (weights[i] - global[i])) + (linear.IsEmpty ? 0f : linear[i]);
        }
    }
}
