using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>The round engine under central DP: Poisson sampling, per-attempt accounting, the budget stop.</summary>
public sealed class CentralDpRoundsTests : CoordinatorTestKit
{
    public CentralDpRoundsTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Round_UnderPoissonSampling_AggregatesFewerUpdatesThanMinFitClients()
    {
        // given Poisson sampling at q = 1 of three clients, min-fit-clients 3, and one client that fails
        var (coordinator, listener) = StartCoordinator(
            Settings() with { MinFitClients = 3, Sampling = SamplingRule.PoissonSeededNonPrivate },
            strategy: new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(clip: 10, z: 1e-6)));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when two answer and the third reports a failure
        Answer(clients[0], "c1", TestParameters.Filled(3f));
        Answer(clients[1], "c2", TestParameters.Filled(3f));
        clients[2].Reply(FailureFor("c3", clients[2].ExpectMsg<FitRequest>(), "out of memory"));

        // then the round completes with the two updates: min-fit-clients is no minimum under DP
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(2, record.Answered.Length);
        Assert.Equal(1, record.Metrics[DpFedAvg.StepsMetric]);
        listener.ExpectMsg<RunCompleted>();
    }

    [Fact]
    public void Round_WhenTheFirstAttemptFails_CountsBothAttemptsAsSteps()
    {
        // given Poisson sampling at q = 1 of three clients, one retry, and a first attempt in which everybody fails
        var (coordinator, listener) = StartCoordinator(
            Settings() with { MaxRoundRetries = 1, Sampling = SamplingRule.PoissonSeededNonPrivate },
            strategy: new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(q: 1)));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            client.Reply(FailureFor(id, client.ExpectMsg<FitRequest>(), "scripted failure"));
        }

        // when everybody answers the second attempt
        Assert.Equal(1, listener.ExpectMsg<AttemptFailed>().Record.Attempt);
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(0.5f));
        }

        // then the round's record counts two sampled steps, and its epsilon is that of two steps at (q, z) = (1, 1)
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(2, record.Attempt);
        Assert.Equal(2, record.Metrics[DpFedAvg.StepsMetric]);
        Assert.Equal(RdpAccountant.Empty.Compose(1, 1, 2).GetPrivacySpent(1e-5).Epsilon, record.Metrics[DpFedAvg.UnguaranteedEpsilonMetric], 12);
    }

    [Fact]
    public void Run_WhenTheNextRoundWouldExceedTheBudget_EndsGracefullyBeforeItWithTheModelSoFar()
    {
        // given three rounds and a budget that two steps fit but three do not
        var two = RdpAccountant.Empty.Compose(1, 1, 2).GetPrivacySpent(1e-5).Epsilon;
        var three = RdpAccountant.Empty.Compose(1, 1, 3).GetPrivacySpent(1e-5).Epsilon;
        var (coordinator, listener) = StartCoordinator(
            Settings() with { Rounds = 3, Sampling = SamplingRule.PoissonSeededNonPrivate },
            strategy: new DpFedAvg(new FedAvg(), DpFedAvgTests.Settings(clip: 10, z: 1, q: 1, budget: (two + three) / 2)));
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when rounds 1 and 2 run
        for (var round = 1; round <= 2; round++)
        {
            foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
            {
                Answer(client, id, TestParameters.Filled(round));
            }

            listener.ExpectMsg<RoundCompleted>();
        }

        // then the run completes before round 3, saying why, with both rounds and their model; nobody is asked again
        var completed = listener.ExpectMsg<RunCompleted>();
        Assert.StartsWith("privacy budget reached: round 3 would take epsilon from", completed.StopReason);
        Assert.Equal([1, 2], completed.History.Select(r => r.Round.Value));
        Assert.All(clients, c => c.ExpectNoMsg(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void Settings_WithCentralDp_SampleByPoisson_SecureUnlessSeeded_AndRefuseOverSelection()
    {
        RoundCoordinatorSettings Read(string hocon) => RoundCoordinatorSettings.Create(TestConfigs.RealTime(hocon));
        Assert.Equal(SamplingRule.FixedSize, Read(string.Empty).Sampling);
        Assert.Equal(SamplingRule.Poisson, Read("fedactors.privacy.mode = central").Sampling);
        Assert.Equal(SamplingRule.PoissonSeededNonPrivate, Read("fedactors.privacy { mode = central, noise = seeded-non-private }").Sampling);
        Assert.Equal(SamplingRule.FixedSize, Read("fedactors.privacy.mode = local").Sampling);
        var e = Assert.Throws<Akka.Configuration.ConfigurationException>(() => Read("fedactors.privacy.mode = central\nfedactors.server.fit-first-replies = 2"));
        Assert.Contains("'fedactors.server.fit-first-replies' is 2, but must be off with 'fedactors.privacy.mode' = central", e.Message);
    }
}
