using FedActors.Torch.Models;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Torch.Tests.Training;

/// <summary>
/// A token that the calling thread's workspace module cancels itself once it has run a given
/// number of batches forward (0: cancelled from the start). It counts through a forward pre-hook
/// on the module's first layer: TorchSharp runs hooks in <c>call()</c>, and <c>Sequential.forward</c>
/// calls each layer's <c>call()</c>. Dispose removes the hook, so the module is left as it was.
/// </summary>
internal sealed class CancelAfterBatches : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly Action _removeHook;

    public CancelAfterBatches(ModelKind kind, int batches)
    {
        var module = ModelWorkspace.ForCurrentThread(kind).Module;
        var firstLayer = (torch.nn.Module<torch.Tensor, torch.Tensor>)module.children().First();
        _removeHook = firstLayer.register_forward_pre_hook(_ =>
        {
            Batches++;
            if (Batches == batches)
            {
                _source.Cancel();
            }
        }).remove;
        if (batches == 0)
        {
            _source.Cancel();
        }
    }

    /// <summary>The token to pass to the trainer.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Batches the module has run forward since this was created.</summary>
    public int Batches { get; private set; }

    public void Dispose()
    {
        _removeHook();
        _source.Dispose();
    }
}
