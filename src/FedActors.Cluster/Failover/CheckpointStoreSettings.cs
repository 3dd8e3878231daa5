using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Cluster.Failover;

/// <summary>
/// Where a server node keeps the run's checkpoints (<c>fedactors.cluster.server.checkpoint-store</c>
/// and <c>checkpoint-sql</c>), read and checked once.
/// </summary>
/// <param name="Sql">True for the database (<see cref="SqlCheckpointStore"/>); false for the run's checkpoint folder (<c>fedactors.run.checkpoint-directory</c>).</param>
/// <param name="Provider">The database: <c>sqlite</c> or <c>postgresql</c>.</param>
/// <param name="ConnectionString">The ADO.NET connection string of that database.</param>
/// <param name="PersistenceId">The run's name in the store: its checkpoints are this persistent actor's events.</param>
public sealed record CheckpointStoreSettings(bool Sql, string Provider, string ConnectionString, string PersistenceId)
{
    /// <summary>The SQLite provider, the embedded default for one machine.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The PostgreSQL provider, for server nodes on several machines.</summary>
    public const string PostgreSql = "postgresql";

    private const string Key = "fedactors.cluster.server.checkpoint-store";
    private const string SqlKey = "fedactors.cluster.server.checkpoint-sql.";

    /// <summary>The store's name in messages: provider, database and persistence id (a connection string's password is never shown).</summary>
    public string Name => Sql ? $"checkpoint store {Provider} '{DatabaseOf(ConnectionString)}' (persistence id '{PersistenceId}')" : "checkpoint folder";

    /// <summary>linq2db's provider name for <see cref="Provider"/> (Akka.Persistence.Sql's <c>provider-name</c>).</summary>
    public string ProviderName => Provider == Sqlite ? LinqToDB.ProviderName.SQLiteMS : LinqToDB.ProviderName.PostgreSQL;

    /// <summary>Reads the store's keys from <paramref name="config"/> (the cluster layer's defaults under it).</summary>
    /// <exception cref="ConfigurationException">A value is missing or not one of the allowed ones; the message names the key.</exception>
    public static CheckpointStoreSettings Read(Config config)
    {
        var full = config.WithFallback(Configuration.ClusterSettings.Defaults);
        var r = new ConfigReader(full);
        var kind = r.OneOf(Key, "folder", "sql");
        var provider = r.OneOf(SqlKey + "provider", Sqlite, PostgreSql);
        var connection = full.GetString(SqlKey + "connection-string", string.Empty) ?? string.Empty;
        var id = r.String(SqlKey + "persistence-id");
        if (kind == "sql" && string.IsNullOrWhiteSpace(connection))
        {
            throw new ConfigurationException($"'{SqlKey}connection-string' is empty, and '{Key}' is sql: give the {provider} database's connection string");
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            throw new ConfigurationException($"'{SqlKey}persistence-id' is empty: give the run a name in the store");
        }

        return new CheckpointStoreSettings(kind == "sql", provider, connection, id);
    }

    // "Data Source=x.db" or "Host=...;Database=fedactors": the file or the database, never the password.
    private static string DatabaseOf(string connection)
    {
        var builder = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connection };
        foreach (var key in new[] { "Data Source", "DataSource", "Filename", "Database" })
        {
            if (builder.TryGetValue(key, out var value) && value?.ToString() is { Length: > 0 } text)
            {
                return builder.TryGetValue("Host", out var host) ? $"{host}/{text}" : text;
            }
        }

        return "(database not named)";
    }
}
