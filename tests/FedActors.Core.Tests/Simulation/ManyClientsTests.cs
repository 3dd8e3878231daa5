using Akka.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Simulation;

/// <summary>Measures managed memory across the whole process, so nothing else may run beside it.</summary>
[CollectionDefinition(nameof(ManyClientsCollection), DisableParallelization = true)]
public sealed class ManyClientsCollection;

/// <summary>
/// A simulation of 50,000 registered clients with a pure C# trainer of 100,352 parameters: every
/// client is a supervised actor that registers, rounds sample 100 of them, and an idle client
/// holds no model-sized buffer.
/// </summary>
[Collection(nameof(ManyClientsCollection))]
public sealed class ManyClientsTests
{
    private const int Clients = 50_000;
    private const int PerRound = 100;

    // 784 x 128: the first layer of an MLP on Fashion-MNIST.
    private static readonly ParameterLayout Layout = new([new TensorSpec("fc1.weight", [128, 784])]);

    [Fact]
    public async Task Run_WithFiftyThousandClients_RegistersThemAllAndCompletesRoundsWithinBounds()
    {
        // given 50,000 clients, each with 60 samples, and the managed heap before the run
        var ids = Enumerable.Range(0, Clients).Select(i => new ClientId($"client-{i:D6}")).ToList();
        var setup = new SimulationSetup(ids, id => new QuadraticTrainer(id, samples: 60), Parameters.Zeros(Layout), new FedAvg(), CentralEvaluator: null);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long during = 0;

        // when three rounds of 100 clients run, the heap measured after round 2 (every client registered and idle)
        var outcome = await InProcessSimulation.RunAsync(Config(), setup, r =>
        {
            if (r.Round.Value == 2)
            {
                during = GC.GetTotalMemory(forceFullCollection: true);
            }
        }).WaitAsync(TimeSpan.FromMinutes(3));

        // then every round completed with all clients registered and 100 asked
        Assert.True(outcome.Succeeded, outcome.FailureReason);
        var rounds = outcome.History.Where(r => r.Round.Value > 0).ToList();
        Assert.Equal(3, rounds.Count);
        Assert.All(rounds, r => Assert.Equal(Clients, r.Registered));
        Assert.All(rounds, r => Assert.Equal(PerRound, r.Answered.Length));

        // and sampling 100 of 50,000 (measured by the coordinator) took well under a second: a
        // sort and copy of every id each round is what this rules out at a million
        Assert.All(rounds, r => Assert.True(r.Timings.Sampling < TimeSpan.FromSeconds(1), $"round {r.Round} sampling took {r.Timings.Sampling}"));

        // and an idle client costs at most 2 KB of managed memory: one model-sized buffer each (400 KB) would be 200 times that,
        // and a Props per client, Akka's default mailbox or a receive actor's handler table each cost several hundred bytes more
        var perClient = (during - before) / (double)Clients;
        Assert.True(perClient < 2048, $"{perClient:F0} bytes of managed memory per registered client");
    }

    private static Config Config() => ConfigurationFactory.ParseString($$"""
        fedactors.run.rounds = 3
        fedactors.server.fraction-fit = {{PerRound / (double)Clients}}
        fedactors.server.min-fit-clients = {{PerRound}}
        fedactors.server.min-available-clients = {{PerRound}}
        fedactors.server.registration-timeout = 120s
        fedactors.training.local-epochs = 1
        fedactors.training.batch-size = 10
        fedactors.training.learning-rate = 0.1
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """);
}
