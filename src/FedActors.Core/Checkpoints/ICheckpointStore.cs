namespace FedActors.Core.Checkpoints;

/// <summary>
/// Where a run's checkpoint goes after every completed round: a folder on the server's disk
/// (<see cref="CheckpointFolder"/>), or a store that outlives the machine (the cluster layer's
/// database, which a second server node resumes from).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>What and where the store is, for messages (a folder's path, a database's provider and persistence id).</summary>
    string Name { get; }

    /// <summary>Saves <paramref name="checkpoint"/> as the newest. Called on the coordinator's thread: a store that writes elsewhere hands it on and returns.</summary>
    /// <exception cref="IOException">The checkpoint cannot be written; the run fails naming the round.</exception>
    void Save(Checkpoint checkpoint);
}
