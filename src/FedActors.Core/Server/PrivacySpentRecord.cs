using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// What the strategy's privacy accountant had spent at the last moment that counts, written
/// between checkpoints (<see cref="RunStart.SaveSpent"/>), so that a run stopped or killed in
/// the middle of a round, or after a failed attempt, resumes with the privacy its lost attempts
/// spent instead of the smaller amount its last checkpoint knew of.
/// </summary>
/// <remarks>
/// <para>
/// The moments, read from the round engine and DP-FedAvg. The only output computed from the
/// clients' updates under a central guarantee is the noised aggregate, made by the strategy's
/// aggregation (DP-FedAvg's accumulator adds the noise when it completes). Until aggregation
/// returns, no noised value exists: an attempt abandoned during its fit (or its other phases,
/// or while aggregating) released nothing and is not counted, although DP-FedAvg composed its
/// step in memory when the attempt began. Once aggregation returns, the noised model is the
/// mechanism's released output; everything the server then does with it (the central
/// evaluation, the federated evaluation's requests, the checkpoint, the next round's requests)
/// is post-processing, and the coordinator writes this record before it takes the model as
/// global, so before any of those (a store that writes elsewhere acknowledges the write, and
/// the coordinator waits for it). A failed attempt released nothing either, but DP-FedAvg
/// counts every attempt it began (a retry samples anew), so an uninterrupted run counts it: the
/// coordinator writes the record before the retry begins, and a resumed run counts it too.
/// </para>
/// <para>
/// The accountant only grows, so each record holds all that was spent so far, and a record of a
/// round after the checkpoint resumed from replaces the checkpoint's accountant; one of that
/// round or before is already in the checkpoint (each completed round writes one before its
/// checkpoint) and is ignored.
/// </para>
/// </remarks>
/// <param name="Round">The round of the attempt that last released a result, or failed.</param>
/// <param name="Attempt">That attempt.</param>
/// <param name="Spent">The accountant's state then, as named scalars (<see cref="Strategies.IAccountedStrategy.ExportSpent"/>).</param>
public sealed record PrivacySpentRecord(RoundNumber Round, int Attempt, ImmutableSortedDictionary<string, double> Spent);
