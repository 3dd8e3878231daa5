namespace FedActors.Core.Strategies;

/// <summary>How the FedOpt strategies (<see cref="FedOpt"/>) weight the clients' updates in a round's pseudo-gradient.</summary>
public enum ClientWeighting
{
    /// <summary>The plain mean over the clients whose update arrived, <c>(1/|S|)·Σ_k</c>, as in Reddi et al.'s Algorithm 2 (configuration: <c>uniform</c>).</summary>
    Uniform,

    /// <summary>The sample-weighted mean <c>Σ_k (n_k / n)</c>, as FedAvg, Flower's FedOpt and the paper's experiment code weight (configuration: <c>samples</c>).</summary>
    SampleCount,
}
