using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// What the fit phase keeps of a valid <see cref="FitResult"/> once a streaming strategy has folded
/// its parameters into the round's accumulator: who replied and the scalars the round's record
/// needs, not the model-sized update, so a round of 1,000 CNN updates holds one sum instead of
/// 6.6 GB. It never leaves the coordinator. A phased strategy's phases after a streamed fit see these.
/// </summary>
/// <param name="Client">Who trained.</param>
/// <param name="Round">The round of the request.</param>
/// <param name="Attempt">The attempt of the request.</param>
/// <param name="SampleCount">The update's FedAvg weight.</param>
/// <param name="Loss">Mean training loss of the last local epoch.</param>
/// <param name="Accuracy">Training accuracy of the last local epoch.</param>
/// <param name="Metrics">The client's named scalars.</param>
internal sealed record FoldedFitResult(
    ClientId Client,
    RoundNumber Round,
    int Attempt,
    int SampleCount,
    double Loss,
    double Accuracy,
    ImmutableSortedDictionary<string, double> Metrics) : IPhaseReply
{
    /// <summary>The metadata of <paramref name="result"/>.</summary>
    public static FoldedFitResult Of(FitResult result) =>
        new(result.Client, result.Round, result.Attempt, result.SampleCount, result.Loss, result.Accuracy, result.Metrics);

    /// <summary>The metadata of a fit reply the phase kept, whole or folded.</summary>
    public static FoldedFitResult Of(IPhaseReply kept) => kept as FoldedFitResult ?? Of((FitResult)kept);
}
