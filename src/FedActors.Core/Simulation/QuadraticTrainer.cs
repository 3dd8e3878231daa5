using System.Numerics.Tensors;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Simulation;

/// <summary>
/// A pure C# trainer on a synthetic objective, for measuring the runtime itself at scale (a
/// million registered clients, where Fashion-MNIST's 60,000 images and libtorch would measure
/// something else): client k's loss is <c>F_k(w) = ½·mean_i (w_i − c_k)²</c>, whose minimum
/// <c>c_k</c> in [-1, 1] is derived from the client's id, so FedAvg converges to the sample-weighted
/// mean of the c_k. It holds no data and no model between calls: an idle client costs nothing here.
/// </summary>
/// <remarks>
/// A fit takes <c>E · ⌈n_k / B⌉</c> full-gradient steps <c>w ← w − η·(w − c_k)</c> (E local epochs,
/// n_k samples, batch B, learning rate η from the request), in closed form:
/// <c>w_s = c_k + (1 − η)^s · (w_0 − c_k)</c>, one vectorised pass into a pooled buffer. Accuracy is
/// reported as the share of values within 0.1 of c_k.
/// </remarks>
/// <param name="client">Whose trainer this is.</param>
/// <param name="samples">The client's sample count n_k (its FedAvg weight), at least 1.</param>
public sealed class QuadraticTrainer(ClientId client, int samples) : ITrainer
{
    /// <summary>The client's minimum c_k, a pure function of its id.</summary>
    public float Target { get; } = TargetOf(client);

    /// <summary>Client k's minimum: its id's FNV-1a hash mapped onto [-1, 1].</summary>
    public static float TargetOf(ClientId client)
    {
        var hash = 2166136261u;
        foreach (var c in client.Value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (float)((hash / (double)uint.MaxValue * 2) - 1);
    }

    /// <inheritdoc />
    public LocalFit Fit(FitTask task, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var config = task.Config;
        var steps = config.LocalEpochs * (int)Math.Ceiling(samples / (double)config.BatchSize);
        var keep = (float)Math.Pow(1 - config.LearningRate, steps);
        var layout = task.Global.Layout;
        var updated = ParameterBufferPool.Shared.Rent(layout.TotalLength);

        // w_s = keep · w_0 + (1 − keep) · c_k
        TensorPrimitives.Multiply(task.Global.Values, keep, updated);
        TensorPrimitives.Add(updated, (1 - keep) * Target, updated);
        var result = Parameters.WrapPooled(layout, updated, ParameterBufferPool.Shared);
        var (loss, accuracy) = Measure(result);
        return new LocalFit(result, samples, loss, accuracy, NamedTensors.Empty, task.ClientState);
    }

    /// <inheritdoc />
    public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        var (loss, accuracy) = Measure(parameters);
        return new Evaluation(samples, loss, accuracy);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private (double Loss, double Accuracy) Measure(Parameters parameters)
    {
        double squares = 0;
        var close = 0;
        foreach (var w in parameters.Values)
        {
            var d = w - Target;
            squares += d * d;
            close += Math.Abs(d) <= 0.1f ? 1 : 0;
        }

        return (0.5 * squares / parameters.Length, close / (double)parameters.Length);
    }
}
