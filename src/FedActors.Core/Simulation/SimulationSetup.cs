using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Simulation;

/// <summary>Everything a simulation needs besides configuration: the parties, their trainers, the model and the strategy.</summary>
/// <param name="Clients">The virtual clients' ids.</param>
/// <param name="TrainerFactory">Creates a trainer for a client's piece of work; called on the training dispatcher.</param>
/// <param name="InitialParameters">The global model before round 1.</param>
/// <param name="Strategy">How updates are aggregated.</param>
/// <param name="CentralEvaluator">Evaluates each new global model on the server's test set, or null for none.</param>
public sealed record SimulationSetup(
    IReadOnlyList<ClientId> Clients,
    Func<ClientId, ITrainer> TrainerFactory,
    Parameters InitialParameters,
    IStrategy Strategy,
    ICentralEvaluator? CentralEvaluator);
