using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;

namespace FedActors.Torch.Training;

/// <summary>
/// Evaluates global models on the server's test set (centralised evaluation), in batches.
/// The test set is cut into one contiguous part per training thread, because between rounds the
/// training threads are idle and evaluation would otherwise leave all but one core unused; the
/// server evaluates the parts on those threads (<see cref="ICentralEvaluator.Parts"/>), where each
/// already has its model, and combines them in part order, so a given parallelism always gives
/// the same figures.
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
    public int Parts => _parallelism;

    /// <inheritdoc />
    public Evaluation Evaluate(Parameters parameters) =>
        Evaluation.Combine([.. Enumerable.Range(0, _parallelism).Select(part => EvaluatePart(parameters, part))]);

    /// <inheritdoc />
    public Evaluation EvaluatePart(Parameters parameters, int part)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(part, _parallelism);
        var chunk = (_all.Length + _parallelism - 1) / _parallelism;
        var start = Math.Min(part * chunk, _all.Length);
        return EvaluateChunk(parameters, start, Math.Min(chunk, _all.Length - start));
    }

    private Evaluation EvaluateChunk(Parameters parameters, int start, int count)
    {
        var workspace = ModelWorkspace.ForCurrentThread(_model);
        workspace.Load(parameters);
        return workspace.Evaluate(_test, _all.AsSpan(start, count));
    }
}
