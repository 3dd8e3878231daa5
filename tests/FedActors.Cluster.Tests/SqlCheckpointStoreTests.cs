using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Failover;
using FedActors.Core.Checkpoints;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;
using Microsoft.Data.Sqlite;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The database checkpoint store on SQLite (its embedded default): checkpoints written by one
/// actor system are recovered by the next, whole, and a damaged record is named and passed over.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class SqlCheckpointStoreTests : Akka.TestKit.Xunit2.TestKit, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly ImmutableSortedDictionary<string, string> Identity =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("configHash", "run-a")]);

    private readonly string _folder;
    private readonly CheckpointStoreSettings _store;

    public SqlCheckpointStoreTests()
        : this(Path.Combine(Path.GetTempPath(), "fedactors-sqlstore-" + Guid.NewGuid().ToString("N")))
    {
    }

    private SqlCheckpointStoreTests(string folder)
        : base(SystemConfig(StoreIn(folder)), "recovering")
    {
        _folder = folder;
        _store = StoreIn(folder);
    }

    [Fact]
    public void Recover_AfterThreeRoundsWereStoredByAnotherSystem_GivesBackTheNewestBitForBit()
    {
        // given a node that stored the checkpoints of rounds 1 to 3, then stopped
        Write([1, 2, 3]);

        // when a new node's journal recovers the same persistence id
        var recovered = Recover(Identity);

        // then it is round 3's checkpoint, every part as saved, with nothing skipped
        Assert.Null(recovered.Failure);
        Assert.Empty(recovered.Skipped);
        var checkpoint = Assert.IsType<Checkpoint>(recovered.Newest);
        Assert.Equal(3, checkpoint.Server.Round.Value);
        Assert.Equal(TestParameters.Bits(CheckpointOf(3).Server.Global), TestParameters.Bits(checkpoint.Server.Global));
        Assert.Equal(TestParameters.Bits(CheckpointOf(3).Server.Strategy.Tensors["velocity"]), TestParameters.Bits(checkpoint.Server.Strategy.Tensors["velocity"]));
        Assert.Equal(Identity, checkpoint.Run);
    }

    [Fact]
    public void Recover_WhenTheNewestRecordWasAlteredInTheDatabase_UsesThePreviousAndNamesTheStoreAndTheRound()
    {
        // given rounds 1 and 2 stored, then one byte of round 2's global model flipped in the journal table
        Write([1, 2]);
        AlterNewestRecord(pattern: BitConverter.GetBytes(2.5f));

        // when a new node's journal recovers
        var recovered = Recover(Identity);

        // then round 1 is used, and round 2 is named as corrupt, with the store and the damaged file
        Assert.Equal(1, recovered.Newest?.Server.Round.Value);
        var why = Assert.Single(recovered.Skipped);
        Assert.Contains(_store.Name, why, StringComparison.Ordinal);
        Assert.Contains("after round 2", why, StringComparison.Ordinal);
        Assert.Contains("global.safetensors does not match the SHA-256", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Recover_WhenTheStoreHoldsAnotherRunsCheckpoints_UsesNoneAndSaysWhichKeyDiffers()
    {
        // given rounds 1 and 2 of run A stored
        Write([1, 2]);

        // when the journal of a run with another identity recovers the same persistence id
        var other = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("configHash", "run-b")]);
        var recovered = Recover(other);

        // then no checkpoint is used, and both are named as another run's
        Assert.Null(recovered.Newest);
        Assert.Equal(2, recovered.Skipped.Count);
        Assert.All(recovered.Skipped, why => Assert.Contains("is of another run: its run identity differs in 'configHash'", why, StringComparison.Ordinal));
    }

    [Fact]
    public void Recover_WhenTheStoreIsEmpty_ReportsNoCheckpoint()
    {
        // given an empty database; when a journal recovers
        var recovered = Recover(Identity);

        // then there is nothing to resume from, and nothing is wrong
        Assert.Equal((null, 0, null), (recovered.Newest, recovered.Skipped.Count, recovered.Failure));
    }

    [Fact]
    public void Recover_WithPrivacyRecordsBetweenTheCheckpoints_KeepsTheTwoNewestCheckpointsAndGivesTheNewestRecord()
    {
        // given checkpoints 1, 2 and 3 stored with a privacy record before each of the last two, then checkpoint 3 altered
        WriteInOrder(1, Spent(2), 2, Spent(3), 3);
        AlterNewestRecord(pattern: BitConverter.GetBytes(3.5f));

        // when a new node's journal recovers
        var recovered = Recover(Identity);

        // then checkpoint 2 is still there to fall back on, and it comes with the newest record, round 3's
        Assert.Null(recovered.Failure);
        Assert.Equal(2, recovered.Newest?.Server.Round.Value);
        var spent = Assert.IsType<PrivacySpentRecord>(recovered.Newest?.Spent);
        Assert.Equal((3, 1), (spent.Round.Value, spent.Attempt));
        Assert.Equal(Spent(3).Spent, spent.Spent);
    }

    [Fact]
    public void Recover_WhenThePrivacyRecordWasAlteredInTheDatabase_FailsNamingTheStoreAndTheEvent()
    {
        // given checkpoint 1 and a record after it, one bit of the record then flipped
        WriteInOrder(1, Spent(2));
        AlterNewestRecord(pattern: "\"round\""u8.ToArray());

        // when a new node's journal recovers
        var recovered = Recover(Identity);

        // then nothing is resumed, and the failure names the store, the event and what is wrong
        Assert.Null(recovered.Newest);
        Assert.Contains($"privacy record in {_store.Name} (event 2) cannot be read: it does not match the SHA-256", recovered.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerNode_WithTheSqliteStore_ResumesAfterTheStoresNewestRound()
    {
        // given a store that holds a three-round FedAvg run's checkpoints of rounds 1 and 2
        Write([1, 2], StrategyState.Empty, sane: true);

        // when a server node with that store runs it, with one client node
        await using var cluster = await Support.LocalCluster.StartAsync(2, ThreeRounds, serverOnly: ServerStore());
        cluster.AddNode(Support.LocalCluster.Ids(0, 2));

        // then it resumes after round 2, and runs round 3 only, from round 2's model
        Assert.Equal(2, await cluster.Server.Active.WaitAsync(Patience));
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Equal([3], outcome.History.Where(r => r.Completed && r.Round.Value > 0).Select(r => r.Round.Value));
        await cluster.Server.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AServerNode_WhoseStoreHoldsNoWholeCheckpoint_FailsTheRunNamingTheStoreAndTheRound()
    {
        // given a store whose only checkpoint (round 1) was altered in the database
        Write([1], StrategyState.Empty);
        AlterNewestRecord(pattern: BitConverter.GetBytes(1.5f));

        // when a server node with that store starts the run
        await using var cluster = await Support.LocalCluster.StartAsync(2, ThreeRounds, serverOnly: ServerStore());

        // then the run fails at once, naming the store, the round and the damaged file, rather than starting afresh over it
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.False(outcome.Succeeded);
        Assert.Contains($"{_store.Name} holds no whole checkpoint to resume from", outcome.FailureReason, StringComparison.Ordinal);
        Assert.Contains("after round 1 (event 1) is corrupt: global.safetensors does not match the SHA-256", outcome.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AServerNode_WhoseStoredCheckpointDoesNotFitItsStrategy_FailsTheRunSayingWhy()
    {
        // given a store whose checkpoint holds a momentum strategy's state, and a FedAvg run
        Write([1]);

        // when a server node with that store starts the run
        await using var cluster = await Support.LocalCluster.StartAsync(2, ThreeRounds, serverOnly: ServerStore());

        // then the run fails at once with the coordinator's reason, instead of waiting forever without a coordinator
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.False(outcome.Succeeded);
        Assert.Contains("the coordinator stopped: strategy fedavg keeps no state, but the checkpoint holds tensors [velocity]", outcome.FailureReason, StringComparison.Ordinal);
    }

    void IDisposable.Dispose()
    {
        Shutdown();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private const string ThreeRounds = """
        fedactors.run.rounds = 3
        fedactors.server.min-available-clients = 2
        fedactors.server.fraction-fit = 1.0
        fedactors.server.min-fit-clients = 2
        """;

    // This test's SQLite store, as a server node's configuration.
    private string ServerStore() => $$"""
        fedactors.cluster.server.checkpoint-store = sql
        fedactors.cluster.server.checkpoint-sql {
          provider = sqlite
          connection-string = "{{_store.ConnectionString}}"
          persistence-id = "{{_store.PersistenceId}}"
        }
        """;

    // Values at the edges of float32 (for a bit-for-bit round trip), or a model a run can go on from.
    internal static Checkpoint CheckpointOf(int round, StrategyState? strategy = null, bool sane = false)
    {
        var server = new RunCheckpoint(
            new RoundNumber(round),
            sane ? TestParameters.Filled(round) : TestParameters.Of(round + 0.5f, -0f, float.Epsilon, 1f / 3, float.MaxValue, -round),
            [],
            strategy ?? new StrategyState(TestParameters.Named(("velocity", TestParameters.Filled(-round))), StrategyState.Empty.Scalars));
        return new Checkpoint(server, [], Identity);
    }

    private static CheckpointStoreSettings StoreIn(string folder) =>
        new(Sql: true, CheckpointStoreSettings.Sqlite, $"Data Source={Path.Combine(folder, "checkpoints.sqlite")}", "test-run");

    private static Config SystemConfig(CheckpointStoreSettings store)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(store.ConnectionString["Data Source=".Length..])!);
        return ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(SqlCheckpointStore.Config(store))
            .WithFallback(ClusterSettings.Defaults);
    }

    // Another actor system stores the rounds' checkpoints, waits until the database holds the last, and stops.
    private void Write(int[] rounds, StrategyState? strategy = null, bool sane = false) =>
        WriteInOrder(round => CheckpointOf(round, strategy, sane), [.. rounds.Cast<object>()]);

    // The same with privacy records among the checkpoints (given by their round), stored in this order.
    private void WriteInOrder(params object[] items) => WriteInOrder(round => CheckpointOf(round), items);

    private void WriteInOrder(Func<int, Checkpoint> checkpointOf, object[] items)
    {
        using var writer = ActorSystem.Create("writing", SystemConfig(_store));
        var stored = CreateTestProbe(writer);
        writer.EventStream.Subscribe(stored.Ref, typeof(CheckpointStored));
        var recovered = CreateTestProbe(writer);
        var journal = writer.ActorOf(CheckpointJournal.Props(_store.PersistenceId, _store.Name, Identity, recovered.Ref));
        recovered.ExpectMsg<CheckpointsRecovered>(Patience);
        var store = new SqlCheckpointStore(journal, _store.Name);
        var acknowledgements = new List<Task>();
        foreach (var item in items)
        {
            if (item is PrivacySpentRecord spent)
            {
                acknowledgements.Add(store.SaveSpent(spent));
            }
            else
            {
                store.Save(checkpointOf((int)item));
            }
        }

        Assert.True(Task.WhenAll(acknowledgements).Wait(Patience), "the journal did not acknowledge every privacy record");
        foreach (var round in items.OfType<int>())
        {
            Assert.Equal(round, stored.ExpectMsg<CheckpointStored>(Patience).Round);
        }

        writer.Terminate().Wait(Patience);
    }

    private static PrivacySpentRecord Spent(int round) =>
        new(new RoundNumber(round), 1, ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("dp-fedavg.pld.steps", (double)round)]));

    private CheckpointsRecovered Recover(ImmutableSortedDictionary<string, string> identity)
    {
        var probe = CreateTestProbe();
        Sys.ActorOf(CheckpointJournal.Props(_store.PersistenceId, _store.Name, identity, probe.Ref));
        return probe.ExpectMsg<CheckpointsRecovered>(Patience);
    }

    // Flips one bit of the newest event's payload where the global model's first value lies.
    private void AlterNewestRecord(byte[] pattern)
    {
        SqliteConnection.ClearAllPools();
        using var connection = new SqliteConnection(_store.ConnectionString);
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = "SELECT ordering, message FROM journal WHERE persistence_id = $id ORDER BY sequence_number DESC LIMIT 1";
        select.Parameters.AddWithValue("$id", _store.PersistenceId);
        long ordering;
        byte[] message;
        using (var reader = select.ExecuteReader())
        {
            Assert.True(reader.Read(), "the journal table holds no event");
            ordering = reader.GetInt64(0);
            message = (byte[])reader[1];
        }

        var at = message.AsSpan().IndexOf(pattern);
        Assert.True(at > 0, "the global model's first value is not in the stored record");
        message[at] ^= 1;
        using var update = connection.CreateCommand();
        update.CommandText = "UPDATE journal SET message = $message WHERE ordering = $ordering";
        update.Parameters.AddWithValue("$message", message);
        update.Parameters.AddWithValue("$ordering", ordering);
        Assert.Equal(1, update.ExecuteNonQuery());
    }
}
