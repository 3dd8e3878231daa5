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

    [Fact]
    public async Task ANodeWithLocalDpInItsOwnConfig_SendsNoisedUpdatesAndTheServerRecordsTheirEpsilon()
    {
        // given a server without any privacy setting, and a node whose own configuration turns local DP on (C 0.5, z 1)
        await using var cluster = await LocalCluster.StartAsync(2, """
            fedactors.run.rounds = 2
            fedactors.server.min-available-clients = 2
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 2
            """);
        cluster.AddNode(LocalCluster.Ids(0, 2), nodeOnly: "fedactors.privacy { mode = local, local { clip = 0.5, noise-multiplier = 1.0 } }");

        // when the run goes
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

        // then every round's record carries the epsilon the node's clients computed for one release (RDP at q = 1, delta 1e-5)
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var perRelease = Core.Privacy.RdpAccountant.Empty.Compose(1.0, 1.0).GetPrivacySpent(1e-5).Epsilon;
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        Assert.Equal(2, rounds.Count);
        Assert.All(rounds, r => Assert.Equal(perRelease, r.Metrics[Core.Privacy.LocalPrivacyLoss.MetricRound], 12));
    }

    [Fact]
    public async Task ANodeRestartedWithItsStateDirectory_GoesOnCountingItsClientsLocalDpReleases_AndOneWithoutItStartsFromZero()
    {
        // given a node with local DP and a state directory of its own, which took part in two rounds
        const string dp = "fedactors.privacy { mode = local, local { clip = 0.5, noise-multiplier = 1.0 } }";
        var state = Directory.CreateTempSubdirectory("fedactors-node-state-").FullName;
        try
        {
            var withState = dp + $"\nfedactors.cluster.client.state-directory = \"{state.Replace("\\", "/")}\"";
            var first = await RunAsync(withState);

            // when the node is started again with that folder, for a run of two more rounds, and another node without one
            var again = await RunAsync(withState);
            var fresh = await RunAsync(dp);

            // then the restarted node's clients count on from their two releases (3 and 4), where the other's count from 1
            Assert.True(again[0] > first[1], $"after a restart with its folder, composed epsilon {again[0]} is not above the {first[1]} of two releases");
            Assert.True(again[1] > again[0]);
            Assert.Equal(first, fresh);
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }

        // A two-round run of one node hosting client-0 and client-1: each round's composed local epsilon (the largest over its clients).
        static async Task<double[]> RunAsync(string nodeOnly)
        {
            await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun);
            var node = cluster.AddNode(LocalCluster.Ids(0, 2), nodeOnly: nodeOnly);
            var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
            Assert.True(outcome.Succeeded, outcome.FailureReason);
            await cluster.Server.EndRunAsync(outcome, TimeSpan.FromSeconds(5));
            await node.Outcome.WaitAsync(Patience);
            await node.DisposeAsync();
            return [.. outcome.History.Where(r => r.Round.Value > 0).Select(r => r.Metrics[Core.Privacy.LocalPrivacyLoss.MetricComposed])];
        }
    }

    [Fact]
    public async Task ANodeTheServerCannotDial_TakesPartOverTheConnectionItOpened()
    {
        // given a node that tells the server an address nobody can dial (a node behind NAT)
        await using var cluster = await LocalCluster.StartAsync(2, """
            fedactors.run.rounds = 2
            fedactors.server.min-available-clients = 2
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 2
            """);
        var node = cluster.AddNode(LocalCluster.Ids(0, 2), nodeOnly: "akka.remote.dot-netty.tcp.public-hostname = \"behind-nat.invalid\"");

        // when the run goes
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

        // then both rounds had its two clients' updates: every answer of the server came back over the node's own connection
        Assert.Equal("behind-nat.invalid", node.Address.Host);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.All(outcome.History.Where(r => r.Round.Value > 0), r => Assert.Equal(2, r.Answered.Length));
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task ARun_OnTheCluster_EndsWithTheSimulationsModelBitForBit_OverTheBulkChannelOrInChunks(string bulk)
    {
        // given one configuration, seeds and clients, run in process and over three client nodes,
        // whose messages travel on the bulk channel (on) or in chunks on the cluster connection (off)
        var run = $"""
            fedactors.run.rounds = 3
            fedactors.run.seed = 11
            fedactors.server.min-available-clients = 6
            fedactors.server.fraction-fit = 0.5
            fedactors.server.min-fit-clients = 3
            fedactors.cluster.bulk-channel.enabled = {bulk}
            """;
        var (runtime, _) = LocalCluster.Settings(run);
        var simulated = await Core.Simulation.InProcessSimulation.RunAsync(
            runtime,
            new Core.Simulation.SimulationSetup(LocalCluster.Ids(0, 6), LocalCluster.Trainer, Core.Tests.Support.TestParameters.Filled(0), new Core.Strategies.FedAvg(), new Core.Tests.Support.MeanDistanceEvaluator(1)));
        await using var cluster = await LocalCluster.StartAsync(6, run);
        for (var n = 0; n < 3; n++)
        {
            cluster.AddNode(LocalCluster.Ids(2 * n, 2));
        }

        // when the cluster's run ends
        var clustered = await cluster.Server.Outcome.WaitAsync(Patience);

        // then the records (timings aside) and the final model are the simulation's, bit for bit
        Assert.True(clustered.Succeeded, clustered.FailureReason);
        Assert.Equal(Core.Tests.Support.Records.Comparable(simulated.History), Core.Tests.Support.Records.Comparable(clustered.History));
        Assert.Equal(Core.Tests.Support.TestParameters.Bits(simulated.FinalParameters!), Core.Tests.Support.TestParameters.Bits(clustered.FinalParameters!));

        // and each node's bulk connection opened with the channel on, none with it off
        if (bulk == "on")
        {
            await cluster.WaitForBulkChannelsAsync(cluster.Nodes.Select(n => n.Address), Patience);
        }
        else
        {
            Assert.Empty(cluster.BulkChannels);
        }
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task AModelOfTheCnnsSize_TravelsWholeOnTheBulkChannelOrInFrameSizedChunks_AndTheRunCompletes(string bulk)
    {
        // given a model of 1,663,370 parameters (the FedAvg CNN's 6.65 MB, 52 times Akka.Remote's
        // 128,000-byte frame, which stays as it is) and two nodes of one client
        var layout = new Core.Tensors.ParameterLayout([new Core.Tensors.TensorSpec("w", [1_663_370])]);
        await using var cluster = await LocalCluster.StartAsync(2, $"""
            fedactors.run.rounds = 2
            fedactors.server.min-available-clients = 2
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 2
            fedactors.cluster.chunk-size = 64KiB
            fedactors.cluster.bulk-channel.enabled = {bulk}
            """, initial: Core.Tensors.Parameters.Zeros(layout));
        cluster.AddNode(LocalCluster.Ids(0, 1), layout: layout);
        cluster.AddNode(LocalCluster.Ids(1, 1), layout: layout);

        // when the run goes
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

        // then both rounds aggregated both updates, and the model moved towards the clients' targets
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        Assert.All(outcome.History.Where(r => r.Round.Value > 0), r => Assert.Equal(2, r.Answered.Length));
        Assert.Equal(1_663_370, outcome.FinalParameters!.Length);
        Assert.True(outcome.FinalParameters.Values[^1] > 0.01f, $"the last weight is {outcome.FinalParameters.Values[^1]}");
        if (bulk == "on")
        {
            await cluster.WaitForBulkChannelsAsync(cluster.Nodes.Select(n => n.Address), Patience);
        }
        else
        {
            Assert.Empty(cluster.BulkChannels);
        }
    }
}
