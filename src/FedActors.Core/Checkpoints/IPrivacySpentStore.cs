using FedActors.Core.Server;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A checkpoint store that also keeps what a strategy's accountant spent after the newest
/// checkpoint (<see cref="PrivacySpentRecord"/>), so that a run resumed from it counts the
/// attempts its stop or kill lost. <see cref="CheckpointFolder"/> keeps it beside the checkpoints.
/// </summary>
public interface IPrivacySpentStore
{
    /// <summary>
    /// Replaces the kept record with <paramref name="record"/>. The task completes once the record
    /// is durable (a kill right after it loses nothing): a store on this machine's disk writes it
    /// before it returns; one that writes elsewhere completes the task when the write is
    /// acknowledged, and the coordinator releases nothing more until then. Called on the coordinator's thread.
    /// </summary>
    /// <exception cref="IOException">The record cannot be written (thrown, or the task's fault).</exception>
    Task SaveSpent(PrivacySpentRecord record);
}
