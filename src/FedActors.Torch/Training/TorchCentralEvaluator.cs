using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;

namespace FedActors.Torch.Training;

/// <summary>
/// Evaluates global models on the server's test set (centralised evaluation), in batches,
/// with the calling thread's cached module of the model kind.
/// </summary>
public sealed class TorchCentralEvaluator : ICentralEvaluator
{
    private readonly ModelKind _model;
    private readonly LabeledImages _test;
    private readonly int[] _all;

    /// <summary>Creates the evaluator.</summary>
    /// <param name="model">The model the parameters belong to.</param>
    /// <param name="test">The test images (28x28).</param>
    public TorchCentralEvaluator(ModelKind model, LabeledImages test)
    {
        ArgumentNullException.ThrowIfNull(test);
        _ = model.ToConfigName();
        TorchTrainerFactory.RequireModelInput(test, nameof(test));
        _model = model;
        _test = test;
        _all = Enumerable.Range(0, test.Count).ToArray();
    }

    /// <inheritdoc />
    public Evaluation Evaluate(Parameters parameters)
    {
        var workspace = ModelWorkspace.ForCurrentThread(_model);
        workspace.Load(parameters);
        return workspace.Evaluate(_test, _all);
    }
}
