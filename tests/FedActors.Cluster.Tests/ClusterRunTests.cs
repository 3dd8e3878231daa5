using FedActors.Cluster.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>Whole runs across a server node and client nodes on loopback.</summary>
[Trait("Category", "Cluster")]
public sealed class ClusterRunTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Run_WithAServerAndThreeClientNodes_CompletesEveryRoundAndEndsTheNodes()
    {
        // given a server that waits for six clients, and three client nodes of two clients each
        await using var cluster = await LocalCluster.StartAsync(6, """
            fedactors.run.rounds = 3
            fedactors.server.min-available-clients = 6
            fedactors.server.fraction-fit = 0.5
            fedactors.server.min-fit-clients = 3
            """);
        for (var n = 0; n < 3; n++)
        {
            cluster.AddNode(LocalCluster.Ids(2 * n, 2));
        }

        // when the run goes
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        await cluster.Server.EndRunAsync(outcome, TimeSpan.FromSeconds(5));

        // then every round completed with updates from the client nodes, and every node was told the run is over
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        Assert.Equal(3, rounds.Count);
        Assert.All(rounds, r => Assert.Equal(6, r.Registered));
        Assert.All(rounds, r => Assert.Equal(3, r.Answered.Length));
        foreach (var node in cluster.Nodes)
        {
            var ended = await node.Outcome.WaitAsync(Patience);
            Assert.True(ended.Succeeded, ended.Detail);
        }
    }
}
