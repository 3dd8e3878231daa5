namespace FedActors.Core.Training;

/// <summary>A model's loss and accuracy on a set of samples.</summary>
/// <param name="SampleCount">How many samples were evaluated.</param>
/// <param name="Loss">Mean loss over those samples.</param>
/// <param name="Accuracy">Share of samples classified correctly, in [0, 1].</param>
public sealed record Evaluation(int SampleCount, double Loss, double Accuracy);
