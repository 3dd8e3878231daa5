using FedActors.Core.Server;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A checkpoint store that also keeps what a strategy's accountant spent after the newest
/// checkpoint (<see cref="PrivacySpentRecord"/>), so that a run resumed from it counts the
/// attempts its stop or kill lost. <see cref="CheckpointFolder"/> keeps it beside the checkpoints.
/// </summary>
public interface IPrivacySpentStore
{
    /// <summary>Replaces the kept record with <paramref name="record"/>; returns only once it is durable (a kill right after it loses nothing).</summary>
    /// <exception cref="IOException">The record cannot be written.</exception>
    void SaveSpent(PrivacySpentRecord record);
}
