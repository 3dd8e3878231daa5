using System.Globalization;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Partitioning;
using FedActors.Torch.Training;

namespace FedActors.Cli.Simulation;

/// <summary>
/// A run's clients over Fashion-MNIST: their ids, shards and trainers, attackers included. One
/// composition for a simulation and for a cluster's client nodes, so that client id i trains on
/// the same shard with the same seed wherever it runs.
/// </summary>
internal static class RunClients
{
    /// <summary>Every client of the run (<c>fedactors.simulation.clients</c>), in id order, and a trainer factory for any of them.</summary>
    /// <exception cref="ConfigurationException">The partitioning cannot split the training set among that many clients.</exception>
    public static (List<ClientId> Clients, Func<ClientId, ITrainer> Trainers, IReadOnlySet<ClientId> Attackers) Of(SimulationSettings settings, ModelKind model, LabeledImages train)
    {
        var clients = Ids(settings.Clients);
        var attackers = settings.Attack.ChooseAttackers(clients, settings.Server.Seed);
        return (clients, settings.Attack.Wrap(Honest(settings, model, train, clients, attackers), attackers), attackers);
    }

    // Zero-padded, so that the ordinal order Core aggregates and samples in is the numeric order.
    public static List<ClientId> Ids(int count)
    {
        var width = (count - 1).ToString(CultureInfo.InvariantCulture).Length;
        return Enumerable.Range(0, count).Select(i => new ClientId("client-" + i.ToString("D" + width, CultureInfo.InvariantCulture))).ToList();
    }

    // With federated evaluation on, each client trains on part of its shard and evaluates on the rest;
    // label-flipping attackers train (and evaluate) on the same images with flipped labels.
    private static Func<ClientId, ITrainer> Honest(SimulationSettings s, ModelKind model, LabeledImages train, List<ClientId> clients, IReadOnlySet<ClientId> attackers)
    {
        var shards = Partition(s, train);
        var (trainShards, heldOut) = HeldOutSplit.Split(shards, s.EffectiveHeldOutShare, s.Server.Seed);
        TorchTrainerFactory Over(LabeledImages images) => s.EffectiveHeldOutShare == 0
            ? new TorchTrainerFactory(model, images, clients, trainShards)
            : new TorchTrainerFactory(
                model,
                images,
                clients.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => trainShards[x.i]),
                test: images,
                testShards: clients.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => heldOut[x.i]));

        var honest = Over(train);
        if (s.Attack.Kind != AttackKind.LabelFlip || attackers.Count == 0)
        {
            return honest.Create;
        }

        var poisoned = Over(train.WithLabels(y => (byte)(ModelFactory.ClassCount - 1 - y)));
        return id => attackers.Contains(id) ? poisoned.Create(id) : honest.Create(id);
    }

    private static int[][] Partition(SimulationSettings s, LabeledImages train)
    {
        try
        {
            return PartitionerFactory.Create(s.Scheme, s.Server.Seed, s.Alpha, s.ShardsPerClient, s.LabelsPerClient).Partition(train.Labels, s.Clients);
        }
        catch (ArgumentException e)
        {
            // The split is impossible for these settings: a configuration error, reported with its sources.
            throw new ConfigurationException(
                $"impossible settings: 'fedactors.simulation.partitioning.scheme' ({s.Scheme}) cannot split {train.Count} samples among "
                + $"'fedactors.simulation.clients' ({s.Clients}): {e.Message}");
        }
    }
}
