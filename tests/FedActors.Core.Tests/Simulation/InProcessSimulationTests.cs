using System.Text.Json;
using Akka.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Simulation;

/// <summary>Whole simulated runs with pure-C# trainers: reproducibility and the run's outcome.</summary>
public sealed class InProcessSimulationTests
{
    [Fact]
    public async Task Run_WhenRepeatedWithTheSameSeed_GivesIdenticalMetricsAndModel()
    {
        // given a 20-client run with partial sampling and two training threads
        const string config = "fedactors.run.seed = 7";

        // when it runs twice
        var first = await Run(config);
        var second = await Run(config);

        // then everything but the timings is identical, bit for bit
        Assert.True(first.Succeeded, first.FailureReason);
        Assert.Equal(Comparable(first.History), Comparable(second.History));
        Assert.Equal(first.FinalParameters!.Values.ToArray(), second.FinalParameters!.Values.ToArray());
    }

    [Fact]
    public async Task Run_WhenTheSeedChanges_SamplesOtherClients()
    {
        // given two seeds
        // when the same run uses each
        var a = await Run("fedactors.run.seed = 1");
        var b = await Run("fedactors.run.seed = 2");

        // then the rounds sample different clients
        Assert.NotEqual(a.History.Select(r => string.Join(",", r.Asked)), b.History.Select(r => string.Join(",", r.Asked)));
    }

    [Fact]
    public async Task Run_WhenFewerClientsAreRequiredThanExist_StillWaitsForEveryClientBeforeTheFirstRound()
    {
        // given min-available-clients 2 of 20 clients, which alone would let the first round
        // sample from whichever two clients happened to register first
        const string config = "fedactors.server.min-available-clients = 2";

        // when the run goes twice
        var first = await Run(config);
        var second = await Run(config);

        // then every round saw all 20 clients, and the runs agree
        Assert.All(first.History, r => Assert.Equal(20, r.Registered));
        Assert.Equal(Comparable(first.History), Comparable(second.History));
    }

    [Fact]
    public async Task Run_WhenMoreClientsAreRequiredThanExist_FailsBeforeStartingNamingTheKey()
    {
        // given min-available-clients above the number of clients
        // when the simulation starts
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => Run("fedactors.server.min-available-clients = 50"));

        // then the error names the key and the client count
        Assert.Contains("fedactors.server.min-available-clients", error.Message);
        Assert.Contains("only 20 clients", error.Message);
    }

    private static async Task<RunOutcome> Run(string overrides)
    {
        // The overrides come last: in HOCON the later value wins.
        var config = ConfigurationFactory.ParseString($$"""
            fedactors.run.rounds = 4
            fedactors.server { min-available-clients = 20, fraction-fit = 0.25, min-fit-clients = 2 }
            fedactors.training { learning-rate = 0.5, parallelism = 2 }
            akka.loglevel = WARNING
            akka.actor.serialize-messages = on
            {{overrides}}
            """);
        var clients = Enumerable.Range(0, 20).Select(i => new ClientId($"client-{i:D2}")).ToList();
        var setup = new SimulationSetup(
            clients,
            id => new ScriptedTrainer(target: int.Parse(id.Value[^2..]), sampleCount: 10 + int.Parse(id.Value[^2..])),
            TestParameters.Filled(0f),
            new FedAvg(),
            new MeanDistanceEvaluator(10f));
        return await InProcessSimulation.RunAsync(config, setup).WaitAsync(TimeSpan.FromSeconds(30));
    }

    // Records hold ImmutableArrays, whose equality is by reference: compare their JSON instead.
    private static List<string> Comparable(IEnumerable<RoundRecord> history) =>
        history.Select(r => JsonSerializer.Serialize(r.WithoutTimings())).ToList();
}
