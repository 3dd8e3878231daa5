using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence.Sql;
using FedActors.Core.Checkpoints;
using FedActors.Core.Server;

namespace FedActors.Cluster.Failover;

/// <summary>
/// The run's checkpoints in a database, through Akka.Persistence.Sql (linq2db): SQLite on one
/// machine, PostgreSQL when a second server node on another machine must be able to take the run
/// over. <see cref="Save"/> hands the checkpoint's archive to the <see cref="CheckpointJournal"/>,
/// which persists it after the coordinator has moved on; the journal publishes
/// <see cref="CheckpointStored"/> once it is in the database. What a DP strategy spent between
/// checkpoints goes to the same journal, and the coordinator waits for the database's
/// acknowledgement before it releases more (<see cref="SaveSpent"/>).
/// </summary>
internal sealed class SqlCheckpointStore(IActorRef journal, string name) : ICheckpointStore, IPrivacySpentStore
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public void Save(Checkpoint checkpoint) =>
        journal.Tell(new StoredCheckpoint(checkpoint.Server.Round.Value, CheckpointArchive.Write(checkpoint)));

    /// <inheritdoc />
    /// <remarks>
    /// Completes when the journal has persisted the record. A write that fails stops the journal
    /// (its supervisor fails the run), so the task is never left waiting on a database that answered.
    /// </remarks>
    public Task SaveSpent(PrivacySpentRecord record) =>
        journal.Ask<PrivacySpentStored>(new StoredPrivacySpent(PrivacySpentFile.ToBytes(record)));

    /// <summary>The Akka.Persistence.Sql journal's configuration for <paramref name="settings"/>, over the plugin's own defaults.</summary>
    public static Config Config(CheckpointStoreSettings settings) =>
        ConfigurationFactory.ParseString(string.Create(CultureInfo.InvariantCulture, $$"""
            akka.persistence.journal.sql {
              class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
              connection-string = {{Quote(settings.ConnectionString)}}
              provider-name = "{{settings.ProviderName}}"
              # The tables are created on first use, in an empty database.
              auto-initialize = on
            }
            """))
            .WithFallback(SqlPersistence.DefaultConfiguration);

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
