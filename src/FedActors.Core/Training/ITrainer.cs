using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// Trains and evaluates a model on one party's local data. Calls block: the runtime makes them
/// on its training dispatcher, one call at a time per trainer. A trainer is created for a piece
/// of work and disposed after it, so that ten thousand idle clients hold no models.
/// <para>
/// The token fires when the phase's deadline passes: stop between steps (batches) and throw
/// <see cref="OperationCanceledException"/> (<c>token.ThrowIfCancellationRequested()</c>), so the
/// training thread is free for the next client. A trainer that ignores its token keeps its
/// thread until it finishes; its late reply is discarded, and the round's record and the log
/// name it as a straggler.
/// </para>
/// </summary>
public interface ITrainer : IDisposable
{
    /// <summary>Trains locally from <see cref="FitTask.Global"/> and returns the new parameters.</summary>
    LocalFit Fit(FitTask task, CancellationToken cancellation);

    /// <summary>Evaluates <paramref name="parameters"/> on this party's held-out data.</summary>
    Evaluation Evaluate(Parameters parameters, CancellationToken cancellation);
}
