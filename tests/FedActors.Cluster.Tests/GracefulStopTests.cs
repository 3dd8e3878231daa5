using Akka.Actor;
using Akka.Actor.Dsl;
using Akka.Event;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests;

/// <summary>
/// A node stopped by its operator (SIGTERM, Ctrl-C: CoordinatedShutdown with <see cref="StopRequested"/>,
/// which is what the CLI runs on those signals): a client node leaves and is dropped at once; the
/// server stops its run as on-stop says and tells the nodes.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class GracefulStopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Three rounds of two clients on one node, a deadline far beyond the test.
    private const string Run = """
        fedactors.run.rounds = 3
        fedactors.server.min-available-clients = 2
        fedactors.server.fraction-fit = 1.0
        fedactors.server.min-fit-clients = 1
        fedactors.server.round-timeout = 60s
        fedactors.server.max-round-retries = 0
        """;

    [Fact]
    public async Task AServerStoppedMidRound_WithAbandonRound_StopsAtOnce_AndTellsTheNodesTheRunIsStopped()
    {
        // given a server that abandons the round in progress, and round 1's training held on its node
        using var release = new ManualResetEventSlim();
        var fitting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cluster = await LocalCluster.StartAsync(2, Run, serverOnly: "fedactors.cluster.server.on-stop = abandon-round");
        var node = cluster.AddNode(LocalCluster.Ids(0, 2), LocalCluster.HeldInRound(1, fitting, release));
        await fitting.Task.WaitAsync(Patience);

        // when the server is stopped
        await CoordinatedShutdown.Get(cluster.Server.System).Run(new StopRequested("SIGTERM")).WaitAsync(Patience);
        release.Set();

        // then the run stopped before any round completed, and the node was told so
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.Equal(0, outcome.StoppedAfter?.Value);
        Assert.Contains("SIGTERM", outcome.FailureReason);
        var told = await node.Outcome.WaitAsync(Patience);
        Assert.True(told.Stopped, told.Detail);
        Assert.Contains("stopped by SIGTERM after round 0", told.Detail);
    }

    [Fact]
    public async Task AServerStoppedMidRound_WithFinishRound_CompletesThatRound_ThenStopsAfterIt()
    {
        // given a server that finishes the round in progress (the default), and round 1's training held on its node
        using var release = new ManualResetEventSlim();
        var fitting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var completed = new List<int>();
        await using var cluster = await LocalCluster.StartAsync(2, Run, onRound: r =>
        {
            lock (completed)
            {
                completed.Add(r.Round.Value);
            }
        });
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.Server.System.ActorOf(act =>
        {
            act.OnPreStart = ctx => ctx.System.EventStream.Subscribe(ctx.Self, typeof(Warning));
            act.Receive<Warning>((w, _) =>
            {
                if (w.Message.ToString()!.StartsWith("Stopping after the round in progress", StringComparison.Ordinal))
                {
                    stopping.TrySetResult();
                }
            });
        });
        var node = cluster.AddNode(LocalCluster.Ids(0, 2), LocalCluster.HeldInRound(1, fitting, release));
        await fitting.Task.WaitAsync(Patience);

        // when the server is stopped during round 1, and its training then ends
        var shutdown = CoordinatedShutdown.Get(cluster.Server.System).Run(new StopRequested("SIGTERM"));
        await stopping.Task.WaitAsync(Patience);
        release.Set();
        await shutdown.WaitAsync(Patience);

        // then round 1 completed and the run stopped after it, before round 2
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.Equal(1, outcome.StoppedAfter?.Value);
        lock (completed)
        {
            Assert.Equal([0, 1], completed);
        }

        Assert.True((await node.Outcome.WaitAsync(Patience)).Stopped);
    }

    [Fact]
    public async Task AClientNodeStoppedMidRound_Leaves_AndTheServerDropsItsClientsAtOnce()
    {
        // given two nodes whose round 1 training is held on the second
        using var release = new ManualResetEventSlim();
        var fitting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var round1 = new TaskCompletionSource<RoundRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var cluster = await LocalCluster.StartAsync(4, Run, onRound: r =>
        {
            if (r.Round.Value == 1)
            {
                round1.TrySetResult(r);
            }
        });
        cluster.AddNode(LocalCluster.Ids(0, 2));
        var leaving = cluster.AddNode(LocalCluster.Ids(2, 2), LocalCluster.HeldInRound(1, fitting, release));
        await fitting.Task.WaitAsync(Patience);

        // when that node is stopped
        var shutdown = CoordinatedShutdown.Get(leaving.System).Run(new StopRequested("SIGTERM"));
        var record = await round1.Task.WaitAsync(Patience);
        release.Set();
        await shutdown.WaitAsync(Patience);

        // then round 1 completed with the first node's clients, the leaving node's dropped as stopped (not at the deadline),
        // and the node ended as stopped by its operator
        Assert.Null(record.Failure);
        Assert.Equal(LocalCluster.Ids(0, 2), record.Answered.ToArray());
        var drops = record.Phases.Single(p => p.Name == "fit").Dropped;
        Assert.Equal(LocalCluster.Ids(2, 2), drops.Select(d => d.Client).ToArray());
        Assert.All(drops, d => Assert.Equal(DropReason.Stopped, d.Reason));
        Assert.True(record.Timings.Fit < TimeSpan.FromSeconds(30), $"round 1's fit took {record.Timings.Fit}: dropped at the deadline");
        var outcome = await leaving.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Stopped, outcome.Detail);
        Assert.Contains("let its clients go", outcome.Detail);
    }
}
