using System.Collections.Immutable;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// The client's part of a strategy, for any trainer: how its local gradient is corrected at
/// every step, and what it sends back and keeps after training. FedProx, SCAFFOLD and FedDyn
/// all add <c>μ·(w − w_global) + b</c> to the gradient of the local loss at every step, with
/// their own μ and b, so a trainer applies that one rule (<see cref="Proximal"/>, <see cref="Linear"/>)
/// and calls <see cref="Finish"/> with what it trained. A strategy's client part is chosen by
/// what the strategy sends: <c>fedprox.mu</c> or <c>feddyn.alpha</c> among the hyperparameters,
/// <c>scaffold.c</c> among the extras; anything else trains the local loss alone (FedAvg).
/// </summary>
public sealed class LocalObjective
{
    private readonly Func<Parameters, int, (ImmutableSortedDictionary<string, Parameters> Extras, ImmutableSortedDictionary<string, Parameters> State)> _finish;

    private LocalObjective(
        double proximal,
        Parameters? linear,
        Func<Parameters, int, (ImmutableSortedDictionary<string, Parameters>, ImmutableSortedDictionary<string, Parameters>)> finish)
    {
        Proximal = proximal;
        Linear = linear;
        _finish = finish;
    }

    /// <summary>μ: the coefficient of <c>(w − w_global)</c> added to each gradient; 0 for none.</summary>
    public double Proximal { get; }

    /// <summary>b: a constant added to each gradient, in the global model's layout; null for none.</summary>
    public Parameters? Linear { get; }

    /// <summary>True when the gradient needs no correction (FedAvg's client).</summary>
    public bool IsPlain => Proximal == 0 && Linear is null;

    /// <summary>The client part that <paramref name="task"/>'s strategy asks for.</summary>
    /// <exception cref="ArgumentException">The strategy's extras or the client's state do not fit the global model.</exception>
    public static LocalObjective For(FitTask task)
    {
        if (task.Extras.TryGetValue(Scaffold.GlobalControlKey, out var c))
        {
            var ci = task.ClientState.GetValueOrDefault(Scaffold.ClientControlKey) ?? Parameters.Zeros(task.Global.Layout);
            return new LocalObjective(0, Scaffold.Correction(c, ci), (trained, steps) => Scaffold.ClientFinish(task, c, ci, trained, steps));
        }

        if (task.Config.Hyperparameters.TryGetValue(FedDyn.AlphaKey, out var alpha))
        {
            var gradient = task.ClientState.GetValueOrDefault(FedDyn.ClientGradientKey) ?? Parameters.Zeros(task.Global.Layout);
            return new LocalObjective(alpha, FedDyn.Correction(gradient), (trained, _) => FedDyn.ClientFinish(task, alpha, gradient, trained));
        }

        if (task.Config.Hyperparameters.TryGetValue(FedProx.MuKey, out var mu))
        {
            return new LocalObjective(mu, null, (_, _) => (NamedTensors.Empty, task.ClientState));
        }

        return new LocalObjective(0, null, (_, _) => (NamedTensors.Empty, task.ClientState));
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
