using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using TorchSharp;

namespace FedActors.Torch.Training;

/// <summary>
/// One thread's module of a model kind, with its state tensors and reusable batch tensors.
/// Trainers are created and disposed per piece of work, but building a module (and its native
/// allocations) per fit would dominate small fits, so each training thread keeps one per kind
/// and every fit overwrites its weights from the global model.
/// </summary>
internal sealed class ModelWorkspace
{
    /// <summary>Samples per batch when evaluating: large batches amortise per-call overhead.</summary>
    public const int EvaluationBatchSize = 500;

    [ThreadStatic]
    private static Dictionary<ModelKind, ModelWorkspace>? t_workspaces;

    private readonly IReadOnlyList<(string Name, torch.Tensor Tensor)> _state;
    private torch.Tensor _inputs;
    private torch.Tensor _targets;
    private int _capacity;

    private ModelWorkspace(ModelKind kind)
    {
        // The seed does not matter: every use starts by copying weights in.
        Module = ModelFactory.Create(kind, seed: 0);
        _state = ParameterConverter.StateOf(Module);
        Layout = ParameterConverter.LayoutOf(_state);
        (_inputs, _targets) = AllocateBatch(1);
        _capacity = 1;
    }

    /// <summary>The module; its weights are whatever the last <see cref="Load"/> put there.</summary>
    public torch.nn.Module<torch.Tensor, torch.Tensor> Module { get; }

    /// <summary>The module's state layout.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>The calling thread's workspace for <paramref name="kind"/>, created on first use.</summary>
    public static ModelWorkspace ForCurrentThread(ModelKind kind)
    {
        TorchRuntime.ConfigureCurrentThread();
        t_workspaces ??= [];
        if (!t_workspaces.TryGetValue(kind, out var workspace))
        {
            workspace = new ModelWorkspace(kind);
            t_workspaces.Add(kind, workspace);
        }

        return workspace;
    }

    /// <summary>Overwrites the module's weights.</summary>
    public void Load(Parameters parameters) => ParameterConverter.CopyIn(_state, Layout, parameters);

    /// <summary>Copies the module's weights out, labelled with <paramref name="layout"/> (which must match).</summary>
    public Parameters Save(ParameterLayout layout) => ParameterConverter.CopyOut(_state, layout);

    /// <summary>
    /// Copies the images and labels of <paramref name="indices"/> into the reusable batch tensors
    /// and returns views of the filled part; the views belong to the caller's dispose scope.
    /// </summary>
    public (torch.Tensor Inputs, torch.Tensor Targets) Gather(LabeledImages data, ReadOnlySpan<int> indices)
    {
        EnsureCapacity(indices.Length);
        var width = data.PixelsPerImage;
        var inputs = MemoryMarshal.Cast<byte, float>(_inputs.bytes);
        var targets = MemoryMarshal.Cast<byte, long>(_targets.bytes);
        var pixels = data.Pixels;
        var labels = data.Labels;
        for (var i = 0; i < indices.Length; i++)
        {
            pixels.Slice(indices[i] * width, width).CopyTo(inputs.Slice(i * width, width));
            targets[i] = labels[indices[i]];
        }

        return (_inputs.narrow(0, 0, indices.Length), _targets.narrow(0, 0, indices.Length));
    }

    /// <summary>Loss and accuracy of the current weights on the given samples.</summary>
    public Evaluation Evaluate(LabeledImages data, ReadOnlySpan<int> indices, CancellationToken cancellation = default)
    {
        Module.eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0;
        long correct = 0;
        for (var start = 0; start < indices.Length; start += EvaluationBatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var (inputs, targets) = Gather(data, indices.Slice(start, Math.Min(EvaluationBatchSize, indices.Length - start)));
            var logits = Module.forward(inputs);
            lossSum += torch.nn.functional.cross_entropy(logits, targets, reduction: torch.nn.Reduction.Sum).item<float>();
            correct += CountCorrect(logits, targets);
        }

        return indices.Length == 0
            ? new Evaluation(0, 0, 0)
            : new Evaluation(indices.Length, lossSum / indices.Length, (double)correct / indices.Length);
    }

    /// <summary>
    /// How many rows of <paramref name="logits"/> have their maximum at the target class.
    /// Counted in C# over the logits' bytes: argmax, eq, sum and item as tensor calls cost
    /// about as much as a logistic-regression training step.
    /// </summary>
    public static int CountCorrect(torch.Tensor logits, torch.Tensor targets)
    {
        var scores = MemoryMarshal.Cast<byte, float>(logits.bytes);
        var expected = MemoryMarshal.Cast<byte, long>(targets.bytes);
        var classes = scores.Length / expected.Length;
        var correct = 0;
        for (var row = 0; row < expected.Length; row++)
        {
            correct += TensorPrimitives.IndexOfMax(scores.Slice(row * classes, classes)) == expected[row] ? 1 : 0;
        }

        return correct;
    }

    private void EnsureCapacity(int count)
    {
        if (count <= _capacity)
        {
            return;
        }

        _inputs.Dispose();
        _targets.Dispose();
        (_inputs, _targets) = AllocateBatch(count);
        _capacity = count;
    }

    private static (torch.Tensor Inputs, torch.Tensor Targets) AllocateBatch(int count)
    {
        // Allocated outside any dispose scope on purpose: these tensors live as long as the workspace.
        using var scope = torch.NewDisposeScope();
        var inputs = torch.zeros(count, 1, ModelFactory.ImageSize, ModelFactory.ImageSize, torch.float32);
        var targets = torch.zeros(count, torch.int64);
        return (inputs.DetachFromDisposeScope(), targets.DetachFromDisposeScope());
    }
}
