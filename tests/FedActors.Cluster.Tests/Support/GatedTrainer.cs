using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A trainer that reports its first fit and then holds it until the test opens the gate: proof that
/// its node was welcomed and its clients registered, and a run that cannot end while the test looks.
/// </summary>
internal sealed class GatedTrainer(ITrainer inner, TaskCompletionSource fitStarted, Task gate) : ITrainer
{
    public LocalFit Fit(FitTask task, CancellationToken cancellation)
    {
        fitStarted.TrySetResult();
        gate.Wait(cancellation);
        return inner.Fit(task, cancellation);
    }

    public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

    public void Dispose() => inner.Dispose();
}
