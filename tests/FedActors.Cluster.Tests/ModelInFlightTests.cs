using FedActors.Cluster.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>
/// A large model in flight between the server and nodes hosting several clients, with the tests'
/// tight heartbeats (every 200 ms, unreachable after 800 ms without one): the model goes to each
/// node once and paced, so heartbeats never wait long behind it. The 25 M-parameter case is the
/// `cluster-round` benchmark (tests/FedActors.Benchmarks/README.md).
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
