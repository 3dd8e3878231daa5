using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FederatedLinearRegression;

/// <summary>
/// A party's trainer for y = w·x + b, in plain C#: what you write to bring your own model to
/// FedActors. It sees only its own samples; only the trained parameters leave it.
/// </summary>
internal sealed class LinearRegressionTrainer(Samples local) : ITrainer
{
    public LocalFit Fit(FitTask task, CancellationToken cancellation)
    {
        var weights = task.Global.Tensor("w").ToArray();
        var bias = task.Global.Tensor("b")[0];
        var order = Enumerable.Range(0, local.Count).ToArray();
        var random = new Random(task.Seed);
        for (var epoch = 0; epoch < task.Config.LocalEpochs; epoch++)
        {
            random.Shuffle(order);
            foreach (var batch in order.Chunk(task.Config.BatchSize))
            {
                // Past the round's deadline the runtime has dropped this update: stop, and free the thread.
                cancellation.ThrowIfCancellationRequested();

                // Gradient of the mean squared error over the batch.
                var gradW = new float[weights.Length];
                var gradB = 0f;
                foreach (var i in batch)
                {
                    var error = Predict(weights, bias, local.X[i]) - local.Y[i];
                    for (var j = 0; j < weights.Length; j++)
                    {
                        gradW[j] += 2 * error * local.X[i][j] / batch.Length;
                    }

                    gradB += 2 * error / batch.Length;
                }

                for (var j = 0; j < weights.Length; j++)
                {
                    weights[j] -= task.Config.LearningRate * gradW[j];
                }

                bias -= task.Config.LearningRate * gradB;
            }
        }

        var updated = Parameters.Wrap(task.Global.Layout, [.. weights, bias]);
        var loss = MeanSquaredError(weights, bias, local);
        return new LocalFit(updated, local.Count, loss, Accuracy: 0, NamedTensors.Empty, NamedTensors.Empty);
    }

    public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => Evaluate(parameters, local);

    public void Dispose()
    {
    }

    public static Evaluation Evaluate(Parameters parameters, Samples data) =>
        new(data.Count, MeanSquaredError(parameters.Tensor("w").ToArray(), parameters.Tensor("b")[0], data), Accuracy: 0);

    private static float Predict(float[] w, float b, float[] x)
    {
        var y = b;
        for (var j = 0; j < w.Length; j++)
        {
            y += w[j] * x[j];
        }

        return y;
    }

    private static double MeanSquaredError(float[] w, float b, Samples data)
    {
        double sum = 0;
        for (var i = 0; i < data.Count; i++)
        {
            var error = Predict(w, b, data.X[i]) - data.Y[i];
            sum += error * error;
        }

        return sum / data.Count;
    }
}
