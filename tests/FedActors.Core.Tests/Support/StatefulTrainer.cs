using System.Collections.Immutable;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Support;

/// <summary>
/// A trainer with client state, kept between its fits in <see cref="LocalFit.ClientState"/>:
/// <c>fits</c>, how many fits this client has done, and <c>drift</c>, a decaying sum of its past
/// updates that it adds to each new one, so a client whose state is lost or stale trains to
/// another model. The update itself comes from <paramref name="inner"/>.
/// </summary>
internal sealed class StatefulTrainer(ITrainer inner) : ITrainer
{
    private static readonly ParameterLayout CounterLayout = new([new TensorSpec("fits", [1])]);

    /// <summary>The fits recorded in a client's state; 0 for none.</summary>
    public static int FitsIn(ImmutableSortedDictionary<string, Parameters> state) =>
        state.TryGetValue("fits", out var fits) ? (int)fits.Values[0] : 0;

    public LocalFit Fit(FitTask task, CancellationToken cancellation)
    {
        var fit = inner.Fit(task, cancellation);
        var global = task.Global.Values;
        var drift = task.ClientState.TryGetValue("drift", out var kept) ? kept.Values.ToArray() : new float[global.Length];
        var updated = fit.Updated.Values.ToArray();
        var nextDrift = new float[drift.Length];
        for (var i = 0; i < updated.Length; i++)
        {
            nextDrift[i] = (0.5f * drift[i]) + (updated[i] - global[i]);
            updated[i] += 0.5f * drift[i];
        }

        var state = TestParameters.Named(
            ("drift", Parameters.Wrap(task.Global.Layout, nextDrift)),
            ("fits", Parameters.Wrap(CounterLayout, [FitsIn(task.ClientState) + 1])));
        return fit with { Updated = Parameters.Wrap(task.Global.Layout, updated), ClientState = state };
    }

    public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

    public void Dispose() => inner.Dispose();
}
