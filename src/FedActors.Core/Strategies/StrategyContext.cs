using FedActors.Core.Protocol;

namespace FedActors.Core.Strategies;

/// <summary>Where in the run a strategy call happens.</summary>
/// <param name="Round">The round.</param>
/// <param name="Attempt">The attempt at the round (1, or more after a retry).</param>
/// <param name="RegisteredClients">Clients registered when the attempt started.</param>
/// <param name="Seed">
/// A seed derived from the run's seed, the round and the attempt, for randomness that must
/// repeat (tie-breaks, test doubles). Never for privacy noise: the run's seed is published in
/// metrics.json, so noise drawn from it could be regenerated and subtracted.
/// </param>
public sealed record StrategyContext(RoundNumber Round, int Attempt, int RegisteredClients, int Seed);
