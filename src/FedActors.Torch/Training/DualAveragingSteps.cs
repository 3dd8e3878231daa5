using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
using TorchSharp;

namespace FedActors.Torch.Training;

/// <summary>
/// FedDualAvg's client part (<see cref="FedDual"/>) on a module: the local steps average
/// gradients in the dual space, <c>z ← z − η_c·∇F(w)</c>, and the module's weights are the primal
/// point <c>w = sign(z)·max(|z| − η̃·λ, 0)</c> with the cumulative step size
/// <c>η̃ = offset + η_c·k</c> at local step k. Instead of an optimiser step.
/// </summary>
internal sealed class DualAveragingSteps : IDisposable
{
    private readonly List<(string Name, torch.Tensor Parameter, torch.Tensor Z, torch.Tensor Start)> _terms = [];
    private readonly double _offset;
    private readonly double _l1;
    private readonly double _eta;

    private DualAveragingSteps(FitTask task, torch.nn.Module module, Parameters z)
    {
        _offset = task.Config.Hyperparameters.GetValueOrDefault(FedDual.OffsetKey);
        _l1 = task.Config.Hyperparameters.GetValueOrDefault(FedDual.L1Key);
        _eta = task.Config.LearningRate;
        Aggregation.RequireLayout(task.Global.Layout, z);
        using var scope = torch.NewDisposeScope();
        foreach (var (name, parameter) in module.named_parameters())
        {
            var index = z.Layout.IndexOf(name);
            if (index < 0)
            {
                throw new ArgumentException($"the model's parameter '{name}' is not in the dual state's layout ({z.Layout})", nameof(z));
            }

            var start = torch.tensor(z.Tensor(index).ToArray(), parameter.shape).DetachFromDisposeScope();
            _terms.Add((name, parameter, start.clone().DetachFromDisposeScope(), start));
        }
    }

    /// <summary>The dual-averaging steps <paramref name="task"/> asks for, or null when its strategy is not FedDualAvg.</summary>
    public static DualAveragingSteps? For(FitTask task, torch.nn.Module module) =>
        task.Extras.TryGetValue(FedDual.DualKey, out var z) ? new DualAveragingSteps(task, module, z) : null;

    /// <summary>Sets the module's weights to the primal point of local step <paramref name="step"/> (0-based).</summary>
    public void SetPrimal(int step)
    {
        var threshold = (_offset + (_eta * step)) * _l1;
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (var (_, parameter, z, _) in _terms)
        {
            parameter.copy_(torch.sign(z) * (torch.abs(z) - threshold).clamp_min(0));
        }
    }

    /// <summary>After a backward pass: <c>z ← z − η_c·∇F(w)</c>.</summary>
    public void Step()
    {
        using var noGrad = torch.no_grad();
        foreach (var (_, parameter, z, _) in _terms)
        {
            z.add_(parameter.grad ?? throw new InvalidOperationException("a parameter has no gradient after backward"), alpha: -_eta);
        }
    }

    /// <summary>After <paramref name="steps"/> steps: the module holds the final primal point, and the result is <c>Δz = z_K − z_r</c> in the global layout.</summary>
    public Parameters Finish(int steps, ParameterLayout layout)
    {
        SetPrimal(steps);
        var delta = new float[layout.TotalLength];
        using var scope = torch.NewDisposeScope();
        foreach (var (name, _, z, start) in _terms)
        {
            var index = layout.IndexOf(name);
            (z - start).data<float>().CopyTo(delta.AsSpan(layout.OffsetOf(index), layout.Tensors[index].Length));
        }

        return Parameters.Wrap(layout, delta);
    }

    public void Dispose()
    {
        foreach (var (_, _, z, start) in _terms)
        {
            z.Dispose();
            start.Dispose();
        }
    }
}
