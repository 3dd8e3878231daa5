namespace FedActors.Core.Server;

/// <summary>How the coordinator picks each attempt's clients (<see cref="RoundCoordinatorSettings.Sampling"/>).</summary>
public enum SamplingRule
{
    /// <summary>
    /// A fixed-size sample, <c>max(⌊fraction-fit·N⌋, min-fit-clients)</c> clients drawn without
    /// replacement with a seed from the run's seed (<see cref="ClientSampler"/>); an attempt needs
    /// min-fit-clients valid updates.
    /// </summary>
    FixedSize,

    /// <summary>
    /// Central DP: each reachable client independently with probability fraction-fit, from the
    /// OS CSPRNG (<see cref="PoissonSampler"/>), as the privacy accountant assumes.
    /// </summary>
    Poisson,

    /// <summary>Poisson sampling drawn from the run's seed: reproducible, and NON-PRIVATE (anyone with the seed knows who was sampled).</summary>
    PoissonSeededNonPrivate,
}
