using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>
/// Evaluates the global model on a data set the server holds (centralised evaluation). Blocking;
/// the server calls it off its own thread, on the training dispatcher. An evaluator whose data
/// splits into <see cref="Parts"/> independent parts has them evaluated in parallel on the
/// training dispatcher's threads (idle between rounds), never on the .NET thread pool that carries
/// Akka's own messages, and combined in part order, so the figures do not depend on timing.
/// </summary>
public interface ICentralEvaluator
{
    /// <summary>How many parts the server's data splits into (at least 1; 1 by default).</summary>
    int Parts => 1;

    /// <summary>Evaluates <paramref name="parameters"/> on the server's whole test set.</summary>
    Evaluation Evaluate(Parameters parameters);

    /// <summary>Evaluates <paramref name="parameters"/> on part <paramref name="part"/> (0-based, below <see cref="Parts"/>); the whole set when there is one part.</summary>
    Evaluation EvaluatePart(Parameters parameters, int part) =>
        part == 0 && Parts == 1 ? Evaluate(parameters) : throw new ArgumentOutOfRangeException(nameof(part), part, "this evaluator has one part");
}
