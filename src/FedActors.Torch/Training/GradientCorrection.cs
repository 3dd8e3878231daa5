using FedActors.Core.Tensors;
using FedActors.Core.Training;
using TorchSharp;

namespace FedActors.Torch.Training;

/// <summary>
/// A strategy's client part on a module (<see cref="LocalObjective"/>): after each backward pass
/// <c>grad += μ·(w − w_global) + b</c>, and after each optimiser step <c>w −= η·d</c>, for every
/// parameter, with <c>w_global</c>, b and d copied into tensors once per fit. Nothing happens for FedAvg.
/// </summary>
internal sealed class GradientCorrection : IDisposable
{
    private readonly double _proximal;
    private readonly List<(torch.Tensor Parameter, torch.Tensor? Global, torch.Tensor? Linear, torch.Tensor? AfterStep)> _terms = [];

    public GradientCorrection(LocalObjective objective, torch.nn.Module module, Parameters global)
    {
        _proximal = objective.Proximal;
        if (objective.IsPlain)
        {
            return;
        }

        // Outside any batch's dispose scope: these live for the whole fit.
        using var scope = torch.NewDisposeScope();
        foreach (var (name, parameter) in module.named_parameters())
        {
            var index = global.Layout.IndexOf(name);
            if (index < 0)
            {
                throw new ArgumentException($"the model's parameter '{name}' is not in the global model's layout ({global.Layout})", nameof(global));
            }

            var shape = parameter.shape;
            var g = _proximal == 0 ? null : torch.tensor(global.Tensor(index).ToArray(), shape).DetachFromDisposeScope();
            var b = objective.Linear is { } linear ? torch.tensor(linear.Tensor(index).ToArray(), shape).DetachFromDisposeScope() : null;
            var d = objective.AfterStep is { } after ? torch.tensor(after.Tensor(index).ToArray(), shape).DetachFromDisposeScope() : null;
            _terms.Add((parameter, g, b, d));
        }
    }

    /// <summary>Corrects the gradients the last backward pass left (inside the caller's batch scope).</summary>
    public void Apply()
    {
        if (_terms.Count == 0)
        {
            return;
        }

        using var noGrad = torch.no_grad();
        foreach (var (parameter, global, linear, _) in _terms)
        {
            if (global is null && linear is null)
            {
                continue;
            }

            var grad = parameter.grad ?? throw new InvalidOperationException("a parameter has no gradient after backward");
            if (global is not null)
            {
                grad.add_(parameter - global, alpha: _proximal);
            }

            if (linear is not null)
            {
                grad.add_(linear);
            }
        }
    }

    /// <summary>After the optimiser's step: <c>w −= η·d</c>.</summary>
    public void ApplyAfterStep(double learningRate)
    {
        using var noGrad = torch.no_grad();
        foreach (var (parameter, _, _, afterStep) in _terms)
        {
            if (afterStep is not null)
            {
                parameter.add_(afterStep, alpha: -learningRate);
            }
        }
    }

    public void Dispose()
    {
        foreach (var (_, global, linear, afterStep) in _terms)
        {
            global?.Dispose();
            linear?.Dispose();
            afterStep?.Dispose();
        }
    }
}
