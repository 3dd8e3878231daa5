namespace FedActors.Cluster.Failover;

/// <summary>
/// One completed round's checkpoint as the checkpoint journal keeps it (an event of its persistent
/// actor): the round, so that a record that no longer reads can still be named, and the
/// checkpoint's archive (<see cref="Core.Checkpoints.CheckpointArchive"/>), whose hashes are checked on load.
/// </summary>
/// <param name="Round">The last completed round the checkpoint is after.</param>
/// <param name="Archive">The checkpoint folder's files in one zip.</param>
public sealed record StoredCheckpoint(int Round, byte[] Archive);

/// <summary>Published on the node's event stream once the store holds <paramref name="Round"/>'s checkpoint.</summary>
/// <param name="Store">The store's name.</param>
/// <param name="Round">The round.</param>
public sealed record CheckpointStored(string Store, int Round);
