using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Server;

/// <summary>Where a coordinator's run starts, and what it does after each completed round.</summary>
/// <param name="Initial">The global model before the first round this coordinator runs.</param>
/// <param name="ClientsBeforeFirstRound">
/// Registrations the first round this coordinator runs waits for, when more than
/// min-available-clients: a simulation knows all its clients, and sampling from whoever happened
/// to register first would make its results depend on thread timing. A resumed run waits for
/// them again, or its sample would differ from the uninterrupted run's. 0 for min-available-clients alone.
/// </param>
/// <param name="Resume">The checkpoint to continue from (its round, history and strategy state); null for a fresh run.</param>
/// <param name="SaveCheckpoint">Called after every completed round, on the coordinator's thread; null for none. A throw fails the run.</param>
/// <param name="ResumeSpent">What a strategy's accountant had spent after <paramref name="Resume"/> was written (its record beside the checkpoint); null for none.</param>
/// <param name="SaveSpent">
/// Called, on the coordinator's thread, with what an accounted strategy (<see cref="Strategies.IAccountedStrategy"/>)
/// has spent, when an attempt released a result and when one failed (<see cref="PrivacySpentRecord"/>);
/// its task completes once the record is durable, and the round goes on only then. Null for none.
/// A throw or a faulted task fails the run before anything more is released.
/// </param>
public sealed record RunStart(
    Parameters Initial,
    int ClientsBeforeFirstRound = 0,
    RunCheckpoint? Resume = null,
    Action<RunCheckpoint>? SaveCheckpoint = null,
    PrivacySpentRecord? ResumeSpent = null,
    Func<PrivacySpentRecord, Task>? SaveSpent = null);

/// <summary>The server's part of a checkpoint: everything the rounds after <paramref name="Round"/> depend on.</summary>
/// <param name="Round">The last completed round.</param>
/// <param name="Global">The global model after it.</param>
/// <param name="History">Every record so far, failed attempts included.</param>
/// <param name="Strategy">The strategy's exported state.</param>
public sealed record RunCheckpoint(RoundNumber Round, Parameters Global, ImmutableArray<RoundRecord> History, StrategyState Strategy);
