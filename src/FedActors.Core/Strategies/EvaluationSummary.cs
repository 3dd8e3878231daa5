namespace FedActors.Core.Strategies;

/// <summary>The federated evaluation of one global model: how many clients and samples, and the aggregated loss and accuracy.</summary>
/// <param name="Clients">Clients whose results were aggregated.</param>
/// <param name="SampleCount">Held-out samples over those clients.</param>
/// <param name="Loss">The aggregated loss.</param>
/// <param name="Accuracy">The aggregated accuracy.</param>
public sealed record EvaluationSummary(int Clients, long SampleCount, double Loss, double Accuracy)
{
    /// <summary>
    /// The sample-weighted mean, <c>loss = Σ_k n_k·loss_k / Σ_k n_k</c> (and likewise accuracy),
    /// which is the loss and accuracy over the union of the clients' held-out samples.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or a sample count is not positive.</exception>
    public static EvaluationSummary WeightedMean(IReadOnlyList<ClientEvaluation> results)
    {
        if (results.Count == 0)
        {
            throw new ArgumentException("cannot summarise an empty list of evaluations", nameof(results));
        }

        long samples = 0;
        double loss = 0, accuracy = 0;
        foreach (var r in results)
        {
            if (r.SampleCount <= 0)
            {
                throw new ArgumentException($"client {r.Client} evaluated {r.SampleCount} samples", nameof(results));
            }

            samples += r.SampleCount;
            loss += r.Loss * r.SampleCount;
            accuracy += r.Accuracy * r.SampleCount;
        }

        return new EvaluationSummary(results.Count, samples, loss / samples, accuracy / samples);
    }
}
