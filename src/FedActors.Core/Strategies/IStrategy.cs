using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// A federated aggregation strategy: what clients are told to do in a round, and how their
/// updates become the next global model. Strategies are pure: no I/O, no actors, no clocks,
/// no unseeded randomness. The coordinator validates updates (layout, finiteness, norm)
/// before a strategy sees them, hands them over in client-id order, and never calls
/// <see cref="Aggregate"/> with an empty list.
/// </summary>
public interface IStrategy
{
    /// <summary>The strategy's name, as in configuration (<c>fedavg</c>).</summary>
    string Name { get; }

    /// <summary>What the sampled clients are sent for <paramref name="round"/>.</summary>
    /// <param name="round">The round about to start.</param>
    /// <param name="global">The current global model.</param>
    /// <param name="baseConfig">The configured local training settings.</param>
    FitInstructions ConfigureFit(RoundNumber round, Parameters global, FitConfig baseConfig);

    /// <summary>The next global model from this round's valid updates.</summary>
    /// <param name="round">The round being aggregated.</param>
    /// <param name="global">The global model the clients started from.</param>
    /// <param name="updates">At least one update, in client-id order, each in <paramref name="global"/>'s layout.</param>
    Parameters Aggregate(RoundNumber round, Parameters global, IReadOnlyList<ClientUpdate> updates);
}
