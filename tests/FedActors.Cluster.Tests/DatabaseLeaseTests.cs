using Akka.Actor;
using Akka.Configuration;
using Akka.Coordination;
using FedActors.Cluster.Configuration;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The server nodes' lease in the checkpoint store, on PostgreSQL (an advisory lock) and on
/// SQLite (a locked file): one holder at a time, and a holder whose node stops frees it at once.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class DatabaseLeaseTests : IClassFixture<FailoverTests.Database>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly FailoverTests.Database _database;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fedactors-lease-" + Guid.NewGuid().ToString("N"));
    private readonly List<ActorSystem> _systems = [];

    public DatabaseLeaseTests(FailoverTests.Database database)
    {
        _database = database;
        Directory.CreateDirectory(_folder);
    }

    [Theory]
    [InlineData("postgresql")]
    [InlineData("sqlite")]
    public async Task Lease_HeldByOneNode_IsRefusedToAnother_UntilItsHoldersNodeStops(string provider)
    {
        // given two server nodes' leases of one name in one store
        var connection = provider == "sqlite" ? $"Data Source={Path.Combine(_folder, "checkpoints.sqlite")}" : _database.Server.ConnectionString;
        var first = Node(provider, connection, "first", out var firstSystem);
        var second = Node(provider, connection, "second", out _);

        // when the first takes it
        Assert.True(await first.Acquire().WaitAsync(Patience));

        // then the second cannot, while the first holds it
        Assert.False(await second.Acquire().WaitAsync(Patience));
        Assert.True(first.CheckLease());
        Assert.False(second.CheckLease());

        // and once the first node stops (no leave, no release), the second gets it
        await firstSystem.Terminate().WaitAsync(Patience);
        Assert.True(await AcquiredWithin(second, Patience));
        Assert.True(second.CheckLease());
    }

    public void Dispose()
    {
        foreach (var system in _systems)
        {
            system.Terminate().Wait(Patience);
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    // The holder's session ends as its node's system terminates; give the database a moment to see it.
    private static async Task<bool> AcquiredWithin(Lease lease, TimeSpan patience)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await lease.Acquire().WaitAsync(patience))
        {
            if (clock.Elapsed > patience)
            {
                return false;
            }

            await Task.Delay(50);
        }

        return true;
    }

    private Lease Node(string provider, string connection, string name, out ActorSystem system)
    {
        var config = ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            fedactors.cluster.server.checkpoint-store = sql
            fedactors.cluster.server.checkpoint-sql {
              provider = {{provider}}
              connection-string = "{{connection}}"
              persistence-id = "lease-test"
            }
            """).WithFallback(ClusterSettings.Defaults);
        system = ActorSystem.Create(name, config);
        _systems.Add(system);
        return LeaseProvider.Get(system).GetLease("fedactors-akka-sbr", NodeConfig.LeasePath, name);
    }
}
