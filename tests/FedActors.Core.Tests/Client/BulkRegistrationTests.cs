using Akka.Actor;
using Akka.TestKit;
using FedActors.Core.Client;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Client;

/// <summary>
/// A simulation's clients, registered by their shards in bulk with a coordinator played by a
/// probe, on virtual time.
/// </summary>
public sealed class BulkRegistrationTests : CoordinatorTestKit
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(2);

    private readonly ClientStateStore _store = new(1 << 20);

    public BulkRegistrationTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Shards_WhenTheCoordinatorIsInTheirSystem_RegisterEveryClientOnceInBatchesOfAtMostAShard()
    {
        // given 2,500 clients, registered in bulk
        var ids = Enumerable.Range(0, 2500).Select(i => $"c{i:D4}").ToArray();
        var coordinator = CreateTestProbe();
        StartClients(coordinator, ids);

        // when the shards' registrations arrive and are acknowledged
        var batches = new List<RegisterClients>();
        for (var shard = 0; shard < 3; shard++)
        {
            batches.Add(coordinator.ExpectMsg<RegisterClients>());
            coordinator.Reply(new ClientsRegistered(batches[^1].Clients.Length));
        }

        // then every id came once, in three shards of at most 1,000, each from its own child actor named by its id
        var entries = batches.SelectMany(b => b.Clients).ToList();
        Assert.Equal(ids, entries.Select(e => e.Client.Value).Order());
        Assert.All(batches, b => Assert.InRange(b.Clients.Length, 1, ClientSupervisor.ShardSize));
        Assert.Equal(entries.Count, entries.Select(e => e.Actor).Distinct().Count());
        Assert.All(entries, e => Assert.Equal(ClientSupervisor.ActorNameFor(e.Client), e.Actor.Path.Name));

        // and after the retry interval no client registers itself or again: the next thing a client sends is its fit result
        VirtualClock.Advance(RetryInterval);
        var c1234 = entries.Single(e => e.Client.Value == "c1234").Actor;
        c1234.Tell(FitRequestFor(), coordinator.Ref);
        Assert.Equal("c1234", coordinator.ExpectMsg<FitResult>().Client.Value);
    }

    [Fact]
    public void Shard_WhenItsBatchIsNeverAcknowledged_SendsItAgainEveryRetryInterval()
    {
        // given a shard whose coordinator stays silent
        var coordinator = CreateTestProbe();
        StartClients(coordinator, "c1", "c2");
        var first = coordinator.ExpectMsg<RegisterClients>();

        // when the retry interval passes
        VirtualClock.Advance(RetryInterval);
        var second = coordinator.ExpectMsg<RegisterClients>();

        // then the same batch came again, and no client registered on its own
        Assert.Equal(first.Clients.AsEnumerable(), second.Clients.AsEnumerable());
        coordinator.Reply(new ClientsRegistered(2));
        VirtualClock.Advance(RetryInterval);
        coordinator.Send(first.Clients[0].Actor, FitRequestFor());
        Assert.Equal("c1", coordinator.ExpectMsg<FitResult>().Client.Value);
    }

    [Fact]
    public void Client_RegisteredInBulk_WhenToldToUseANewCoordinator_RegistersItselfThere()
    {
        // given two clients registered in bulk
        var first = CreateTestProbe();
        var clients = StartClients(first, "c1", "c2");
        first.ExpectMsg<RegisterClients>();
        first.Reply(new ClientsRegistered(2));

        // when their supervisor is told of a second coordinator
        var second = CreateTestProbe();
        clients.Tell(new UseCoordinator(second.Ref));

        // then each registers itself with it, by the per-client protocol
        Assert.Equal(["c1", "c2"], new[] { second.ExpectMsg<RegisterClient>(), second.ExpectMsg<RegisterClient>() }.Select(r => r.Client.Value).Order());
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _store.Dispose();
        }
    }

    private IActorRef StartClients(TestProbe coordinator, params string[] ids)
    {
        var settings = ClientSupervisorSettings.Create(Sys) with { RegistrationRetry = RetryInterval };
        return Sys.ActorOf(ClientSupervisor.Props(settings, coordinator.Ref, [.. ids.Select(i => new ClientId(i))], _ => new ScriptedTrainer(1f, 10), _store, registerInBulk: true));
    }

    private FitRequest FitRequestFor() =>
        new(new RoundNumber(1), 1, TestParameters.Filled(0f), Settings().Training, 1, NamedTensors.Empty, TimeSpan.FromMinutes(1));
}
