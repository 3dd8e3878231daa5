using FedActors.Cluster.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>
/// A large model in flight between the server and nodes hosting several clients, with the
/// cluster's default heartbeats (every second, unreachable after 4 s without one; the other tests'
/// 800 ms can pass without a heartbeat on a loaded 2-core machine whatever the wire carries): the
/// model goes to each node once and paced, and no node is counted unreachable. The 25 M-parameter
/// case, and the delay a message sees behind a paced and an unpaced model, are the `cluster-round`
/// and `wire` benchmarks (tests/FedActors.Benchmarks/README.md); the pacing itself is
/// <see cref="PacedTransferTests"/>.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ModelInFlightTests
{
    [Fact]
    public async Task AModelOfFiveMillionParameters_ToTwoNodesOfTwoClients_LeavesEveryNodeReachable_AndEveryUpdateArrives()
    {
        // given a model of 5,000,000 parameters (20 MB, 306 chunks of 64 KiB) and two nodes of two clients each
        var layout = new Core.Tensors.ParameterLayout([new Core.Tensors.TensorSpec("w", [5_000_000])]);
        await using var cluster = await LocalCluster.StartAsync(4, """
            fedactors.run.rounds = 2
            fedactors.server.min-available-clients = 4
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 4
            fedactors.cluster.chunk-size = 64KiB
            fedactors.cluster.heartbeat-interval = 1s
            fedactors.cluster.acceptable-heartbeat-pause = 4s
            """, initial: Core.Tensors.Parameters.Zeros(layout));
        cluster.AddNode(LocalCluster.Ids(0, 2), layout: layout);
        cluster.AddNode(LocalCluster.Ids(2, 2), layout: layout);

        // when the run goes
        var outcome = await cluster.Server.Outcome.WaitAsync(TimeSpan.FromSeconds(120));

        // then no client was dropped in either round (no node counted unreachable, no transfer lost), and all four updates were averaged
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        var described = string.Join("; ", rounds.Select(r => $"round {r.Round} attempt {r.Attempt}: {r.Failure ?? "completed"}, dropped [{string.Join(", ", r.Dropped.Select(d => $"{d.Client} {d.Reason} {d.Detail}"))}]"));
        Assert.True(rounds.Count == 2 && rounds.All(r => r.Dropped.IsEmpty), described);
        Assert.All(rounds, r => Assert.Equal(4, r.Answered.Length));
    }
}
