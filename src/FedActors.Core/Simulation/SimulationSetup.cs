using System.Collections.Immutable;
using FedActors.Core.Checkpoints;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Simulation;

/// <summary>Everything a simulation needs besides configuration: the parties, their trainers, the model and the strategy, and where checkpoints go.</summary>
/// <param name="Clients">The virtual clients' ids.</param>
/// <param name="TrainerFactory">Creates a trainer for a client's piece of work; called on the training dispatcher.</param>
/// <param name="InitialParameters">The global model before round 1.</param>
/// <param name="Strategy">How updates are aggregated.</param>
/// <param name="CentralEvaluator">Evaluates each new global model on the server's test set, or null for none.</param>
/// <param name="Checkpoints">Where a checkpoint is written after every completed round; null for none.</param>
/// <param name="Resume">The checkpoint to continue from; null for a fresh run.</param>
/// <param name="RunIdentity">Strings saved with every checkpoint (the run's configuration and its hash), for the caller to compare on resume.</param>
public sealed record SimulationSetup(
    IReadOnlyList<ClientId> Clients,
    Func<ClientId, ITrainer> TrainerFactory,
    Parameters InitialParameters,
    IStrategy Strategy,
    ICentralEvaluator? CentralEvaluator,
    ICheckpointStore? Checkpoints = null,
    Checkpoint? Resume = null,
    ImmutableSortedDictionary<string, string>? RunIdentity = null);
