using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Support;

/// <summary>
/// A pure-C# trainer with a scripted behaviour: it moves every parameter a fixed share of the
/// way towards a client-specific target, plus seeded noise (so seeds matter). A script runs
/// first, with the fit's cancellation token: it may block, throw, or return a fault to throw.
/// </summary>
internal sealed class ScriptedTrainer(float target, int sampleCount, Func<FitTask, CancellationToken, Exception?>? script) : ITrainer
{
    public ScriptedTrainer(float target, int sampleCount, Func<FitTask, Exception?>? fault = null)
        : this(target, sampleCount, fault is null ? null : (task, _) => fault(task))
    {
    }

    public LocalFit Fit(FitTask task, CancellationToken cancellation)
    {
        if (script?.Invoke(task, cancellation) is { } e)
        {
            throw e;
        }

        var random = new Random(task.Seed);
        var values = task.Global.Values.ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            values[i] += (task.Config.LearningRate * (target - values[i])) + (float)(random.NextDouble() * 1e-3);
        }

        var updated = Parameters.Wrap(task.Global.Layout, values);
        var loss = Math.Abs(target - values.Average());
        return new LocalFit(updated, sampleCount, loss, 1.0 / (1.0 + loss), NamedTensors.Empty, task.ClientState);
    }

    public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => new(sampleCount, 0, 0);

    public void Dispose()
    {
    }
}
