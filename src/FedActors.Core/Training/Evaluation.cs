namespace FedActors.Core.Training;

/// <summary>A model's loss and accuracy on a set of samples.</summary>
/// <param name="SampleCount">How many samples were evaluated.</param>
/// <param name="Loss">Mean loss over those samples.</param>
/// <param name="Accuracy">Share of samples classified correctly, in [0, 1].</param>
public sealed record Evaluation(int SampleCount, double Loss, double Accuracy)
{
    /// <summary>
    /// The evaluation of the union of disjoint parts, combined in list order: the sample-weighted
    /// mean loss, and the accuracy from the parts' whole numbers of correct samples.
    /// </summary>
    public static Evaluation Combine(IReadOnlyList<Evaluation> parts)
    {
        var samples = parts.Sum(p => p.SampleCount);
        if (samples == 0)
        {
            return new Evaluation(0, 0, 0);
        }

        double lossSum = 0, correct = 0;
        foreach (var part in parts)
        {
            lossSum += part.Loss * part.SampleCount;
            correct += Math.Round(part.Accuracy * part.SampleCount);
        }

        return new Evaluation(samples, lossSum / samples, correct / samples);
    }
}
