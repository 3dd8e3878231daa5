using System.Collections.Immutable;

namespace FedActors.Core.Training;

/// <summary>How a client trains in one round: the local optimiser's settings.</summary>
/// <param name="LocalEpochs">Passes over the local shard per round (at least 1).</param>
/// <param name="BatchSize">Samples per SGD step (at least 1).</param>
/// <param name="LearningRate">SGD step size (positive).</param>
/// <param name="Momentum">SGD momentum in [0, 1); 0 turns it off.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient (at least 0).</param>
/// <param name="Hyperparameters">
/// Named numeric extras a strategy sends to its clients (e.g. FedProx's proximal <c>mu</c>);
/// empty for FedAvg.
/// </param>
public sealed record FitConfig(
    int LocalEpochs,
    int BatchSize,
    float LearningRate,
    float Momentum,
    float WeightDecay,
    ImmutableSortedDictionary<string, double> Hyperparameters)
{
    /// <summary>Throws when a value is out of range, naming it.</summary>
    public FitConfig Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(LocalEpochs, 1, nameof(LocalEpochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "the learning rate must be a positive number");
        }

        if (!(Momentum >= 0 && Momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "momentum must be in [0, 1)");
        }

        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must be a number >= 0");
        }

        return this;
    }
}
