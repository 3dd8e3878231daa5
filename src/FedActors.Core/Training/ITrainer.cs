using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// Trains and evaluates a model on one party's local data. Calls block: the runtime makes them
/// on its training dispatcher, one call at a time per trainer. A trainer is created for a piece
/// of work and disposed after it, so that ten thousand idle clients hold no models.
/// </summary>
public interface ITrainer : IDisposable
{
    /// <summary>Trains locally from <see cref="FitTask.Global"/> and returns the new parameters.</summary>
    LocalFit Fit(FitTask task);

    /// <summary>Evaluates <paramref name="parameters"/> on this party's evaluation data.</summary>
    Evaluation Evaluate(Parameters parameters);
}
