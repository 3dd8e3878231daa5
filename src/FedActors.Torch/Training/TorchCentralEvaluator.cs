using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;

namespace FedActors.Torch.Training;

/// <summary>
/// Evaluates global models on the server's test set (centralised evaluation), in batches.
/// The test set is cut into one contiguous chunk per thread, because between rounds the
/// training threads are idle and evaluation would otherwise leave all but one core unused;
/// chunk results are combined in chunk order, so a given parallelism always gives the same figures.
/// </summary>
public sealed class TorchCentralEvaluator : ICentralEvaluator
{
    private readonly ModelKind _model;
    private readonly LabeledImages _test;
    private readonly int[] _all;
    private readonly int _parallelism;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="model">The model the parameters belong to.</param>
    /// <param name="test">The test images (28x28).</param>
    /// <param name="parallelism">Threads to evaluate on (at least 1); use the training parallelism.</param>
    public TorchCentralEvaluator(ModelKind model, LabeledImages test, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        _ = model.ToConfigName();
        TorchTrainerFactory.RequireModelInput(test, nameof(test));
        _model = model;
        _test = test;
        _all = Enumerable.Range(0, test.Count).ToArray();
        _parallelism = Math.Max(1, Math.Min(parallelism, test.Count));
    }

    /// <inheritdoc />
    public Evaluation Evaluate(Parameters parameters)
    {
        if (_parallelism == 1)
        {
            return EvaluateChunk(parameters, 0, _all.Length);
        }

        var chunk = (_all.Length + _parallelism - 1) / _parallelism;
        var parts = new Evaluation[_parallelism];
        Parallel.For(0, _parallelism, new ParallelOptions { MaxDegreeOfParallelism = _parallelism }, i =>
        {
            var start = Math.Min(i * chunk, _all.Length);
            parts[i] = EvaluateChunk(parameters, start, Math.Min(chunk, _all.Length - start));
        });

        double lossSum = 0, correct = 0;
        foreach (var part in parts)
        {
            lossSum += part.Loss * part.SampleCount;
            correct += part.Accuracy * part.SampleCount;
        }

        return new Evaluation(_all.Length, lossSum / _all.Length, Math.Round(correct) / _all.Length);
    }

    private Evaluation EvaluateChunk(Parameters parameters, int start, int count)
    {
        var workspace = ModelWorkspace.ForCurrentThread(_model);
        workspace.Load(parameters);
        return workspace.Evaluate(_test, _all.AsSpan(start, count));
    }
}
