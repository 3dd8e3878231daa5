using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Training;

/// <summary>What a trainer returns after local training.</summary>
/// <param name="Updated">The locally trained parameters, in the global model's layout.</param>
/// <param name="SampleCount">How many local samples one epoch covered (FedAvg's weight n_k).</param>
/// <param name="Loss">Mean training loss over the last local epoch.</param>
/// <param name="Accuracy">Training accuracy over the last local epoch, in [0, 1].</param>
/// <param name="Extras">Named tensors for the strategy (e.g. a control-variate delta); empty for FedAvg.</param>
/// <param name="ClientState">Tensors the client keeps until its next fit (kept in the client-state store); empty when it keeps nothing.</param>
public sealed record LocalFit(
    Parameters Updated,
    int SampleCount,
    double Loss,
    double Accuracy,
    ImmutableSortedDictionary<string, Parameters> Extras,
    ImmutableSortedDictionary<string, Parameters> ClientState)
{
    /// <summary>Named scalars for the strategy (e.g. whether the update was clipped); empty by default.</summary>
    public ImmutableSortedDictionary<string, double> Metrics { get; init; } = NamedTensors.NoHyperparameters;
}
