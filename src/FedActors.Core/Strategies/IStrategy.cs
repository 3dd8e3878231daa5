using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// A federated aggregation strategy: what clients are told to do in a round, how their updates
/// become the next global model, and how their evaluations are summarised. Strategies do no
/// I/O, know no actors and use no clocks; any randomness comes from
/// <see cref="StrategyContext.Seed"/>. The coordinator validates updates (layout, finiteness,
/// update norm) before a strategy sees them, hands them over in client-id order, calls one
/// method at a time, and may call <see cref="AggregateFit"/> off its own thread (Krum is
/// O(n² d)). Only the first three members need an implementation; the rest default to FedAvg's
/// behaviour.
/// </summary>
public interface IStrategy
{
    /// <summary>The strategy's name, as in configuration (<c>fedavg</c>).</summary>
    string Name { get; }

    /// <summary>
    /// The next global model from this round's valid updates (the buffered path: every update at once).
    /// The updates' buffers go back to the coordinator's pool when this returns (see
    /// <see cref="ParameterBufferPool"/>), and <paramref name="global"/>'s once no fit reads it: a
    /// strategy copies whatever it keeps of either.
    /// </summary>
    /// <param name="context">The round, attempt, registered count and seed.</param>
    /// <param name="global">The global model the clients started from.</param>
    /// <param name="updates">At least one update, in client-id order, each in <paramref name="global"/>'s layout.</param>
    AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates);

    /// <summary>
    /// The fewest valid updates the rule can aggregate (Krum needs n &gt; 2f + 2, Bulyan n &gt;= 4f + 3):
    /// a round with fewer fails with <see cref="MinimumUpdatesRule"/> as its reason, and a
    /// configuration whose rounds sample fewer is refused before anything runs. 1 by default.
    /// </summary>
    int MinimumUpdates => 1;

    /// <summary>The rule behind <see cref="MinimumUpdates"/>, in words, for error messages.</summary>
    string MinimumUpdatesRule => "at least one update";

    /// <summary>
    /// Called once before each attempt samples its clients, retries included: a reason to end the
    /// run there, gracefully, with the model and records so far (a spent privacy budget), or null
    /// to go on (the default). A strategy that accounts for sampled steps counts the attempt here,
    /// so that an attempt that later fails is counted too.
    /// </summary>
    /// <param name="context">The attempt about to sample.</param>
    string? BeforeAttempt(StrategyContext context) => null;

    /// <summary>What the sampled clients are sent this round; by default the configured settings, the same for all.</summary>
    /// <param name="context">The round about to start.</param>
    /// <param name="global">The current global model.</param>
    /// <param name="sampled">The clients that will be asked, in id order.</param>
    /// <param name="baseConfig">The configured local training settings.</param>
    FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, FitConfig baseConfig) =>
        FitPlan.Same(new FitInstructions(baseConfig, NamedTensors.Empty));

    /// <summary>
    /// An accumulator that folds each valid update in as it arrives, so a round of many updates
    /// never holds them all (the streaming path); null (the default) for the buffered path of
    /// <see cref="AggregateFit"/>. Its result must not depend on the order updates arrive in.
    /// </summary>
    IUpdateAccumulator? StartAccumulating(StrategyContext context, Parameters global) => null;

    /// <summary>The model the clients sampled for federated evaluation evaluate; by default the new global model.</summary>
    /// <param name="context">The round whose model is evaluated.</param>
    /// <param name="global">The new global model.</param>
    Parameters ConfigureEvaluate(StrategyContext context, Parameters global) => global;

    /// <summary>The federated evaluation's summary: by default the sample-weighted mean of the clients' loss and accuracy.</summary>
    /// <param name="context">The round evaluated.</param>
    /// <param name="results">At least one result, in client-id order.</param>
    EvaluationSummary AggregateEvaluate(StrategyContext context, IReadOnlyList<ClientEvaluation> results) =>
        EvaluationSummary.WeightedMean(results);

    /// <summary>The strategy's state (server optimiser moments, control variates, accountants) for a checkpoint; empty by default.</summary>
    StrategyState ExportState() => StrategyState.Empty;

    /// <summary>Restores <see cref="ExportState"/>'s output when a run resumes.</summary>
    /// <exception cref="ArgumentException">The state is not one this strategy exported.</exception>
    void ImportState(StrategyState state)
    {
        if (!state.IsEmpty)
        {
            throw new ArgumentException($"strategy {Name} keeps no state, but the checkpoint holds {state.Describe()}", nameof(state));
        }
    }
}

/// <summary>Folds updates into the next global model one at a time (see <see cref="IStrategy.StartAccumulating"/>).</summary>
public interface IUpdateAccumulator
{
    /// <summary>Folds in one valid update; the caller may reuse its buffers afterwards.</summary>
    void Add(ClientUpdate update);

    /// <summary>The aggregate of every update added (at least one).</summary>
    AggregationResult Complete();
}
