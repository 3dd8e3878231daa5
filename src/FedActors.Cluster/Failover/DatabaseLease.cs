using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Akka.Coordination;
using Akka.Event;
using Npgsql;

namespace FedActors.Cluster.Failover;

/// <summary>
/// An Akka.Coordination lease held in the server nodes' checkpoint store, which the split-brain
/// resolver's <c>lease-majority</c> strategy takes to decide which server nodes go on (NodeConfig).
/// On PostgreSQL it is a session-level advisory lock (<c>pg_try_advisory_lock</c>) on a
/// connection of its own: the database frees it the moment that session ends, so a node that
/// dies (its socket closes) loses it at once, and the survivor gets it without waiting out a
/// timeout. On SQLite (server nodes on one machine) it is an exclusive lock on a file beside the
/// database, which the operating system frees when the process dies. The lock's key is derived
/// from the persistence id and the lease's name, so two runs in one database do not contend.
/// </summary>
public sealed class DatabaseLease : Lease
{
    private readonly CheckpointStoreSettings _store;
    private readonly long _key;
    private readonly ILoggingAdapter _log;
    private readonly object _gate = new();
    private NpgsqlConnection? _session;
    private FileStream? _file;
    private Timer? _watch;
    private Action<Exception>? _lost;

    /// <summary>Creates the lease; Akka's LeaseProvider calls this from <c>lease-class</c>.</summary>
    public DatabaseLease(LeaseSettings settings, ExtendedActorSystem system)
        : base(settings)
    {
        _store = CheckpointStoreSettings.Read(system.Settings.Config);
        _key = BinaryPrimitives.ReadInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"fedactors:{_store.PersistenceId}:{settings.LeaseName}")));
        _log = Logging.GetLogger(system, "fedactors.lease");

        // A node's actor system that stops holds nothing: as when its process dies.
        _ = system.WhenTerminated.ContinueWith(_ => Free(), TaskScheduler.Default);
    }

    /// <inheritdoc />
    public override Task<bool> Acquire() => Acquire(_ => { });

    /// <inheritdoc />
    public override Task<bool> Acquire(Action<Exception> leaseLostCallback) => Task.Run(() =>
    {
        lock (_gate)
        {
            if (Held)
            {
                return true;
            }

            _lost = leaseLostCallback;
            var got = _store.Provider == CheckpointStoreSettings.PostgreSql ? LockSession() : LockFile();
            if (got)
            {
                _log.Info("Lease {Lease} acquired by {Owner} in {Store}", Settings.LeaseName, Settings.OwnerName, _store.Name);
                var every = Settings.TimeoutSettings.HeartbeatInterval;
                _watch = new Timer(_ => Watch(), null, every, every);
            }

            return got;
        }
    });

    /// <inheritdoc />
    public override Task<bool> Release() => Task.Run(() =>
    {
        Free();
        return true;
    });

    /// <inheritdoc />
    public override bool CheckLease()
    {
        lock (_gate)
        {
            return Held;
        }
    }

    private bool Held => _session is { State: System.Data.ConnectionState.Open } || _file is not null;

    private bool LockSession()
    {
        // A connection of its own, outside the pool: the lock lives exactly as long as this session.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_store.ConnectionString) { Pooling = false }.ConnectionString);
        try
        {
            connection.Open();
            using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", _key);
            if (command.ExecuteScalar() is true)
            {
                _session = connection;
                return true;
            }
        }
        catch (NpgsqlException e)
        {
            _log.Warning("Lease {Lease}: {Store} cannot be reached: {Reason}", Settings.LeaseName, _store.Name, e.Message);
        }

        connection.Dispose();
        return false;
    }

    private bool LockFile()
    {
        var database = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = _store.ConnectionString }.TryGetValue("Data Source", out var source)
            ? source?.ToString() ?? "fedactors-checkpoints.sqlite"
            : "fedactors-checkpoints.sqlite";
        var path = Path.GetFullPath($"{database}.{_key:x16}.lease");
        try
        {
            // FileShare.None takes an exclusive lock on the file (flock on Linux), across processes.
            _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    // A session that broke (the database restarted, the network to it failed) no longer holds the lock.
    private void Watch()
    {
        Action<Exception>? lost = null;
        Exception? why = null;
        lock (_gate)
        {
            if (_session is null)
            {
                return;
            }

            try
            {
                using var command = new NpgsqlCommand("SELECT 1", _session);
                command.ExecuteScalar();
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                why = e;
                lost = _lost;
                FreeLocked();
            }
        }

        if (lost is not null && why is not null)
        {
            _log.Warning("Lease {Lease} lost: {Store} session failed: {Reason}", Settings.LeaseName, _store.Name, why.Message);
            lost(why);
        }
    }

    private void Free()
    {
        lock (_gate)
        {
            FreeLocked();
        }
    }

    private void FreeLocked()
    {
        _watch?.Dispose();
        _watch = null;
        _session?.Dispose();
        _session = null;
        _file?.Dispose();
        _file = null;
    }
}
