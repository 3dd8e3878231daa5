using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;
using FedActors.Core.Checkpoints;

namespace FedActors.Cluster.Failover;

/// <summary>
/// The run's checkpoints as a persistent actor's events in Akka.Persistence.Sql's journal: one
/// <see cref="StoredCheckpoint"/> per completed round, of which the two newest are kept (older
/// events are deleted once a newer one is stored). On start it replays them and reports the
/// newest one that reads whole (every file's SHA-256 checked, its round the record's, its run
/// identity this run's) to <c>reportTo</c>, with why each newer one was passed over. Only one
/// instance per persistence id may run at a time: on server nodes it is a child of the cluster
/// singleton (ActiveServer).
/// <para>
/// Between the checkpoints it keeps what a DP strategy spent (<see cref="StoredPrivacySpent"/>),
/// answering its sender once each is persisted; the newest comes back with the checkpoint
/// (<see cref="Checkpoint.Spent"/>). Events older than the older of the two kept checkpoints are deleted.
/// </para>
/// </summary>
internal sealed class CheckpointJournal : ReceivePersistentActor
{
    /// <summary>Akka.Persistence.Sql's journal, configured by <see cref="SqlCheckpointStore.Config"/>.</summary>
    public const string JournalPlugin = "akka.persistence.journal.sql";

    private const int Kept = 2;

    private readonly string _store;
    private readonly ImmutableSortedDictionary<string, string>? _identity;
    private readonly IActorRef _reportTo;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<(long Sequence, StoredCheckpoint Record)> _replayed = [];
    private readonly List<long> _checkpointSequences = [];
    private (long Sequence, StoredPrivacySpent Record)? _spent;

    public CheckpointJournal(string persistenceId, string store, ImmutableSortedDictionary<string, string>? identity, IActorRef reportTo)
    {
        PersistenceId = persistenceId;
        JournalPluginId = JournalPlugin;
        _store = store;
        _identity = identity;
        _reportTo = reportTo;

        Recover<StoredCheckpoint>(record =>
        {
            _replayed.Add((LastSequenceNr, record));
            KeepCheckpointSequence(LastSequenceNr);
            if (_replayed.Count > Kept)
            {
                _replayed.RemoveAt(0);
            }
        });
        Recover<StoredPrivacySpent>(record => _spent = (LastSequenceNr, record));
        Recover<RecoveryCompleted>(_ =>
        {
            var (newest, skipped) = Newest();
            _replayed.Clear();
            string? failure = null;
            if (newest is not null && _spent is var (sequence, spent))
            {
                try
                {
                    newest = newest with { Spent = PrivacySpentFile.FromBytes(spent.Record, $"in {_store} (event {sequence})") };
                }
                catch (InvalidDataException e)
                {
                    (newest, failure) = (null, e.Message);
                }
            }

            _reportTo.Tell(new CheckpointsRecovered(newest, skipped, failure));
        });

        Command<StoredCheckpoint>(record => Persist(record, stored =>
        {
            Context.System.EventStream.Publish(new CheckpointStored(_store, stored.Round));
            KeepCheckpointSequence(LastSequenceNr);
            if (_checkpointSequences.Count == Kept && _checkpointSequences[0] > 1)
            {
                DeleteMessages(_checkpointSequences[0] - 1);
            }
        }));
        Command<StoredPrivacySpent>(record => Persist(record, _ => Sender.Tell(new PrivacySpentStored())));
        Command<DeleteMessagesSuccess>(_ => { });
        Command<DeleteMessagesFailure>(m => _log.Warning("{Store}: older checkpoints (up to event {Sequence}) could not be deleted: {Reason}", _store, m.ToSequenceNr, m.Cause.Message));
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <summary>Props for the journal of <paramref name="persistenceId"/> in <paramref name="store"/> (its name, for messages).</summary>
    /// <param name="persistenceId">The run's name in the store.</param>
    /// <param name="store">The store's name, for messages.</param>
    /// <param name="identity">The run's identity, which a stored checkpoint must carry to be used; null to take any.</param>
    /// <param name="reportTo">Receives <see cref="CheckpointsRecovered"/> once, and <see cref="CheckpointStoreFailed"/> if a write fails.</param>
    public static Props Props(string persistenceId, string store, ImmutableSortedDictionary<string, string>? identity, IActorRef reportTo) =>
        Akka.Actor.Props.Create(() => new CheckpointJournal(persistenceId, store, identity, reportTo));

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _reportTo.Tell(new CheckpointsRecovered(null, [], $"{_store} could not be read: {reason.Message}"));
        base.OnRecoveryFailure(reason, message);
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _reportTo.Tell(new CheckpointStoreFailed($"{_store} could not store {What(@event)}: {cause.Message}"));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _reportTo.Tell(new CheckpointStoreFailed($"{_store} refused {What(@event)}: {cause.Message}"));
        base.OnPersistRejected(cause, @event, sequenceNr);
    }

    private static string What(object @event) =>
        @event is StoredCheckpoint checkpoint ? $"the checkpoint after round {checkpoint.Round}" : "the privacy spent after the newest checkpoint";

    // The sequence numbers of the two newest checkpoints: what is older than both goes.
    private void KeepCheckpointSequence(long sequence)
    {
        _checkpointSequences.Add(sequence);
        if (_checkpointSequences.Count > Kept)
        {
            _checkpointSequences.RemoveAt(0);
        }
    }

    private (Checkpoint? Newest, IReadOnlyList<string> Skipped) Newest()
    {
        var skipped = new List<string>();
        foreach (var (sequence, record) in Enumerable.Reverse(_replayed))
        {
            var problem = Problem(record, out var checkpoint);
            if (problem is null)
            {
                return (checkpoint, skipped);
            }

            var why = $"{_store}: the checkpoint after round {record.Round} (event {sequence}) {problem}";
            _log.Error("{Why}", why);
            skipped.Add(why);
        }

        return (null, skipped);
    }

    private string? Problem(StoredCheckpoint record, out Checkpoint? checkpoint)
    {
        checkpoint = null;
        Checkpoint read;
        try
        {
            read = CheckpointArchive.Read(record.Archive);
        }
        catch (InvalidDataException e)
        {
            return $"is corrupt: {e.Message}";
        }

        if (read.Server.Round.Value != record.Round)
        {
            return $"does not match its record: its manifest says round {read.Server.Round.Value}";
        }

        if (_identity is { } identity && !identity.SequenceEqual(read.Run))
        {
            var keys = identity.Keys.Union(read.Run.Keys).Where(k => identity.GetValueOrDefault(k) != read.Run.GetValueOrDefault(k));
            return $"is of another run: its run identity differs in {string.Join(", ", keys.Select(k => $"'{k}'"))} (use another persistence id, or the original run's configuration)";
        }

        checkpoint = read;
        return null;
    }
}

/// <summary>The newest checkpoint in the store that reads whole, or null; why each newer one was passed over; or why the store could not be read at all.</summary>
/// <param name="Newest">The checkpoint to resume from, or null when the store holds none that reads whole.</param>
/// <param name="Skipped">Each newer record passed over, naming the store and the round.</param>
/// <param name="Failure">Why the store could not be read, or null.</param>
internal sealed record CheckpointsRecovered(Checkpoint? Newest, IReadOnlyList<string> Skipped, string? Failure);

/// <summary>A checkpoint could not be written; the journal stops.</summary>
/// <param name="Reason">The store, the round and the database's error.</param>
internal sealed record CheckpointStoreFailed(string Reason);
