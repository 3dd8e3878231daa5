namespace FedActors.Cluster.Failover;

/// <summary>
/// One completed round's checkpoint as the checkpoint journal keeps it (an event of its persistent
/// actor): the round, so that a record that no longer reads can still be named, and the
/// checkpoint's archive (<see cref="Core.Checkpoints.CheckpointArchive"/>), whose hashes are checked on load.
/// </summary>
/// <param name="Round">The last completed round the checkpoint is after.</param>
/// <param name="Archive">The checkpoint folder's files in one zip.</param>
public sealed record StoredCheckpoint(int Round, byte[] Archive);

/// <summary>
/// What a DP strategy's accountant spent at an attempt after the newest checkpoint, as the
/// checkpoint journal keeps it (an event beside the checkpoints): the bytes of
/// <see cref="Core.Checkpoints.PrivacySpentFile.ToBytes"/>, whose hash is checked on load.
/// </summary>
/// <param name="Record">The record's bytes.</param>
public sealed record StoredPrivacySpent(byte[] Record);

/// <summary>The journal's answer once a <see cref="StoredPrivacySpent"/> is in the database.</summary>
internal sealed record PrivacySpentStored;

/// <summary>Published on the node's event stream once the store holds <paramref name="Round"/>'s checkpoint.</summary>
/// <param name="Store">The store's name.</param>
/// <param name="Round">The round.</param>
public sealed record CheckpointStored(string Store, int Round);
