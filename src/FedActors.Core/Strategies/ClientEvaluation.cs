using FedActors.Core.Protocol;

namespace FedActors.Core.Strategies;

/// <summary>One client's evaluation of the global model on its held-out data, as a strategy receives it.</summary>
/// <param name="Client">Who evaluated.</param>
/// <param name="SampleCount">Held-out samples evaluated (at least 1).</param>
/// <param name="Loss">Mean loss over them.</param>
/// <param name="Accuracy">Share classified correctly.</param>
public sealed record ClientEvaluation(ClientId Client, int SampleCount, double Loss, double Accuracy);
