using Akka.Remote;
using Akka.Remote.Transport;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>
/// A client node cut off in the middle of a round by Akka.Remote's throttler (a blackhole drops
/// every byte both ways, and no connection closes: a network failure, not a leave); and the
/// other way round, a node whose server went away, and came back or did not.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class UnreachableNodeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ANodeCutOffMidRound_IsDroppedAsUnreachable_ThenComesBackAndIsSampledAgain()
    {
        // given three nodes of two clients, every client sampled in every round, a round that
        // needs four updates, and a round deadline far beyond the failure detector's 1 s; the
        // third node's clients start round 2's training and wait there for the test
        var round2 = new TaskCompletionSource<RoundRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fitting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        await using var cluster = await LocalCluster.StartAsync(6, """
            fedactors.run.rounds = 4
            fedactors.server.min-available-clients = 6
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 4
            fedactors.server.round-timeout = 60s
            fedactors.server.max-round-retries = 0
            """,
            serverOnly: "akka.remote.dot-netty.tcp.applied-adapters = [trttl, fedactors-gate]",
            onRound: r =>
            {
                if (r.Round.Value == 2)
                {
                    round2.TrySetResult(r);
                }
            });
        const string throttled = "akka.remote.dot-netty.tcp.applied-adapters = [trttl]";
        cluster.AddNode(LocalCluster.Ids(0, 2), nodeOnly: throttled);
        cluster.AddNode(LocalCluster.Ids(2, 2), nodeOnly: throttled);
        var cut = cluster.AddNode(LocalCluster.Ids(4, 2), LocalCluster.HeldInRound(2, fitting, release), nodeOnly: throttled);
        // What Akka.Remote's RARP.For(system).Provider.Transport gives its own tests (RARP is internal in 1.5.74).
        var transport = ((IRemoteActorRefProvider)((Akka.Actor.ExtendedActorSystem)cut.System).Provider).Transport;

        // when that node is blackholed while its clients train in round 2, and let through again once round 2 is recorded
        await fitting.Task.WaitAsync(Patience);
        Assert.True(await transport.ManagementCommand(new SetThrottle(cluster.Server.Address, ThrottleTransportAdapter.Direction.Both, Blackhole.Instance)));
        var record = await round2.Task.WaitAsync(Patience);
        Assert.True(await transport.ManagementCommand(new SetThrottle(cluster.Server.Address, ThrottleTransportAdapter.Direction.Both, Unthrottled.Instance)));
        release.Set();
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

        // then round 2 completed with the other four, naming the cut-off clients unreachable (long before its deadline),
        // and the node came back: its clients were sampled and answered in the rounds after
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Null(record.Failure);
        Assert.Equal(LocalCluster.Ids(0, 4), record.Answered.ToArray());
        var drops = record.Phases.Single(p => p.Name == "fit").Dropped;
        Assert.Equal(LocalCluster.Ids(4, 2), drops.Select(d => d.Client).ToArray());
        Assert.All(drops, d => Assert.Equal(DropReason.Unreachable, d.Reason));
        Assert.True(record.Timings.Fit < TimeSpan.FromSeconds(30), $"round 2's fit took {record.Timings.Fit}: dropped at the deadline, not for unreachability");
        var later = outcome.History.Where(r => r.Round.Value > 2 && r.Failure is null).ToList();
        Assert.NotEmpty(later);
        Assert.All(later, r => Assert.Equal(LocalCluster.Ids(0, 6), r.Answered.ToArray()));
    }

    [Fact]
    public async Task AServerRestartedAtTheSameAddress_GetsTheRunningNodesClientsBack_WithoutRestartingThem()
    {
        // given a server whose run waits for two clients, a node hosting them, and the first run done
        const string run = """
            fedactors.run.rounds = 1
            fedactors.server.min-available-clients = 2
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 2
            """;
        await using var first = await LocalCluster.StartAsync(2, run);
        var port = first.Server.Address.Port!.Value;
        var node = first.AddNode(LocalCluster.Ids(0, 2));
        Assert.True((await first.Server.Outcome.WaitAsync(Patience)).Succeeded);

        // when that server stops (without telling the node) and a new one starts at its address
        await first.Server.DisposeAsync();
        await using var second = await LocalCluster.StartAsync(2, run, serverOnly: $"fedactors.cluster.server.port = {port}");
        var outcome = await second.Server.Outcome.WaitAsync(Patience);

        // then the running node's clients registered with the new server and trained its round
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.Equal(LocalCluster.Ids(0, 2), outcome.History.Single(r => r.Round.Value == 1).Answered.ToArray());
        Assert.False(node.Outcome.IsCompleted);
    }

    [Fact]
    public async Task AWelcomedNode_WhoseServerStaysSilentLongerThanServerLostTimeout_StopsNamingTheServerAndTheKey()
    {
        // given a node welcomed by a server whose one-round run is done, with a short server-lost-timeout
        const string run = """
            fedactors.run.rounds = 1
            fedactors.server.min-available-clients = 1
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 1
            """;
        await using var cluster = await LocalCluster.StartAsync(1, run);
        var node = cluster.AddNode(LocalCluster.Ids(0, 1), nodeOnly: "fedactors.cluster.client.server-lost-timeout = 2s");
        Assert.True((await cluster.Server.Outcome.WaitAsync(Patience)).Succeeded);
        var seed = cluster.Server.Address.ToString();

        // when the server's process goes away without telling the node, and nothing comes back
        await cluster.Server.DisposeAsync();
        Assert.False(node.Outcome.IsCompleted);
        var outcome = await node.Outcome.WaitAsync(Patience);

        // then the node gives up, naming the server and the key to raise
        Assert.False(outcome.Succeeded);
        Assert.Contains(seed, outcome.Detail);
        Assert.Contains("fedactors.cluster.client.server-lost-timeout", outcome.Detail);
    }
}
