using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Bulyan over Krum: El Mhamdi, Guerraoui and Rouault, "The Hidden Vulnerability of Distributed
/// Learning in Byzantium", ICML 2018, arXiv:1802.07927.
/// </summary>
/// <remarks>
/// Of n arrived updates, at most f Byzantine, with θ = n − 2f and β = θ − 2f:
/// <list type="number">
/// <item>Selection, iterative as published: starting from R = all updates and S = ∅, θ times run
/// Krum on R and move its choice from R to S. On R, Krum's score sums the squared distances to the
/// |R| − f − 2 nearest others, at least 1 (the last steps run on fewer than 2f + 3 updates, the
/// very last on 2f + 1); equal scores go to the smaller client id.</item>
/// <item>Aggregation, per coordinate j: with m[j] the median of S's values,
/// <c>w(t+1)[j] = (1/β) · Σ_{v ∈ M_j} v</c>, M_j the β values of S[j] closest to m[j]
/// (<c>argmin_{|M| = β} Σ_{v ∈ M} |v − m[j]|</c>; of equally close sets the lower values).</item>
/// </list>
/// Unweighted, as in the paper. The rule needs n ≥ 4f + 3: <see cref="MinimumUpdates"/> is
/// 4f + 3, and a round with fewer valid updates fails with <see cref="MinimumUpdatesRule"/>. It
/// needs every update at once (the buffered path, no accumulator) and costs O(n² d) for the
/// distances, computed once, plus O(n³ log n) for the θ Krum steps on them.
/// <para>Bulyan's selection and coordinate-wise stage need every update at once, so it has no streaming path (<see cref="IStrategy.StartAccumulating"/> is null): the coordinator keeps the round's updates and calls <see cref="AggregateFit"/>.</para>
/// </remarks>
public sealed class Bulyan : IStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="f">The Byzantine updates tolerated, at least 0; 1 by default in reference.conf.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="f"/> is negative.</exception>
    public Bulyan(int f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        F = f;
    }

    /// <summary>The Byzantine updates tolerated.</summary>
    public int F { get; }

    /// <inheritdoc />
    public string Name => "bulyan";

    /// <inheritdoc />
    public int MinimumUpdates => (4 * F) + 3;

    /// <inheritdoc />
    public string MinimumUpdatesRule => $"n >= 4f + 3 = {MinimumUpdates} updates with f = {F} ('fedactors.strategy.bulyan.f')";

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(RobustAggregation.Bulyan(global.Layout, [.. updates.Select(u => u.Parameters)], F));
}
