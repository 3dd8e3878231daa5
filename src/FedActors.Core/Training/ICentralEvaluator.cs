using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// Evaluates the global model on a data set the server holds (centralised evaluation). Blocking;
/// the server calls it off its own thread, on the training dispatcher.
/// </summary>
public interface ICentralEvaluator
{
    /// <summary>Evaluates <paramref name="parameters"/> on the server's test set.</summary>
    Evaluation Evaluate(Parameters parameters);
}
