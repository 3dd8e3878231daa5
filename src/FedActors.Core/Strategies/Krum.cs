using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// Krum and Multi-Krum: Blanchard, El Mhamdi, Guerraoui and Stainer, "Machine Learning with
/// Adversaries: Byzantine Tolerant Gradient Descent", NeurIPS 2017 (preprint "Byzantine-Tolerant
/// Machine Learning", arXiv:1703.02757), where Multi-Krum is defined too.
/// </summary>
/// <remarks>
/// Of n arrived updates, at most f Byzantine, each gets the score
/// <c>score(i) = Σ_{j ∈ N_i} ‖w_i − w_j‖²</c>, N_i being the n − f − 2 updates nearest to w_i.
/// Krum (m = 1) sets <c>w(t+1) = w_i*</c>, i* the lowest score; Multi-Krum sets
/// <c>w(t+1) = (1/m) · Σ_{i ∈ S} w_i</c>, S the m lowest scores, unweighted as in the paper (sample
/// counts are ignored). Equal scores go to the smaller client id, so the choice is deterministic.
/// Distances are between the updated models w_i, which is the same as between the paper's
/// updates w_i − w(t): w(t) cancels in every difference.
/// <para>
/// The rule needs n &gt; 2f + 2 (and n ≥ m): <see cref="MinimumUpdates"/> is max(2f + 3, m), and
/// a round with fewer valid updates fails with <see cref="MinimumUpdatesRule"/>. It needs every
/// update at once (the buffered path, no accumulator) and costs O(n² d), which the coordinator
/// runs off its own thread.
/// </para>
/// <para>Krum's scores need the distances between every pair of updates, so it has no streaming path (<see cref="IStrategy.StartAccumulating"/> is null): the coordinator keeps the round's updates and calls <see cref="AggregateFit"/>.</para>
/// </remarks>
public sealed class Krum : IStrategy
{
    /// <summary>Creates the strategy.</summary>
    /// <param name="f">The Byzantine updates tolerated, at least 0; 1 by default in reference.conf.</param>
    /// <param name="m">The updates averaged, at least 1 (1 is Krum, more is Multi-Krum); 1 by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="f"/> is negative or <paramref name="m"/> is below 1.</exception>
    public Krum(int f, int m = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(f);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1);
        F = f;
        M = m;
    }

    /// <summary>The Byzantine updates tolerated.</summary>
    public int F { get; }

    /// <summary>The updates averaged (1 for Krum).</summary>
    public int M { get; }

    /// <inheritdoc />
    public string Name => "krum";

    /// <inheritdoc />
    public int MinimumUpdates => Math.Max((2 * F) + 3, M);

    /// <inheritdoc />
    public string MinimumUpdatesRule =>
        $"n > 2f + 2 = {(2 * F) + 2} updates with f = {F} ('fedactors.strategy.krum.f')"
        + (M > (2 * F) + 3 ? $", and n >= m = {M} ('fedactors.strategy.krum.m')" : string.Empty);

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
        AggregationResult.Of(RobustAggregation.MultiKrum(global.Layout, [.. updates.Select(u => u.Parameters)], F, M));
}
