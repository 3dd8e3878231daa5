using System.Text.Json.Nodes;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Cli.Output;
using FedActors.Cli.Progress;
using FedActors.Cli.Tests.Support;
using FedActors.Core.Privacy;
using FedActors.Core.Tensors;

namespace FedActors.Cli.Tests;

public sealed class LocalDpCliTests
{
    private static readonly System.Collections.Immutable.ImmutableSortedDictionary<string, double> LocalEpsilon =
        NamedTensors.NoHyperparameters.Add(LocalPrivacyLoss.MetricRound, 4.9).Add(LocalPrivacyLoss.MetricComposed, 11.25);

    [Fact]
    public void MetricsJson_ForARoundWithLocalDp_WritesBothLocalEpsilonsInTheRoundsMetrics()
    {
        // given a round whose record carries the clients' largest local epsilons
        var round = Rounds.WithOneDrop(1, 0.5, 0.7) with { Metrics = LocalEpsilon };

        // when metrics.json is rendered
        var json = JsonNode.Parse(MetricsJson.Render(MetricsJsonTests.Report([Rounds.Initial(0.1, 2.3), round])))!;

        // then both are in the round's metrics
        var metrics = json["history"]![1]!["metrics"]!;
        Assert.Equal(4.9, metrics["local-epsilon"]!.GetValue<double>());
        Assert.Equal(11.25, metrics["local-epsilon-composed"]!.GetValue<double>());
    }

    [Fact]
    public void RoundLine_ForARoundWithLocalDp_ShowsTheLocalEpsilons()
    {
        // given the same round
        var round = Rounds.WithOneDrop(1, 0.5, 0.7) with { Metrics = LocalEpsilon };

        // when its progress line is formatted
        var line = RoundLine.Format(round, totalRounds: 3);

        // then it shows both, as the largest over the clients
        Assert.Contains("local eps 4.90 (composed 11.25, max over clients)", line);
    }

    [Fact]
    public void RoundLine_ForARoundWithSeededLocalNoise_SaysItIsNotPrivate()
    {
        // given a round whose clients drew seeded noise
        var round = Rounds.WithOneDrop(1, 0.5, 0.7) with { Metrics = NamedTensors.NoHyperparameters.Add(LocalPrivacyLoss.MetricNonPrivate, 1) };

        // when its progress line is formatted
        // then it says so, with no epsilon
        Assert.Contains("NOT private", RoundLine.Format(round, totalRounds: 3));
    }

    [Theory]
    [InlineData("scaffold", "scaffold")]
    [InlineData("feddual", "feddual")]
    [InlineData("norm-bounding\n  fedactors.strategy.norm-bounding.inner = scaffold", "norm-bounding(scaffold)")]
    public void Read_WithLocalDpAndAStrategyWhoseClientsReturnExtras_FailsNamingBothKeys(string strategy, string shown)
    {
        // given privacy.mode = local with a strategy whose clients send tensors besides their parameters
        var config = SimulationDefaults.Load(ConfigurationFactory.ParseString($"fedactors.privacy.mode = local\nfedactors.strategy.name = {strategy}"));

        // when the simulation's settings are read
        var error = Assert.Throws<ConfigurationException>(() => SimulationSettings.Read(config));

        // then it is refused before anything runs, naming the mode and the strategy
        Assert.Contains("'fedactors.privacy.mode' is local", error.Message);
        Assert.Contains($"'fedactors.strategy.name' is {shown}", error.Message);
    }

    [Fact]
    public void Read_WithLocalDpAndARobustStrategy_GivesTheClientsLocalDp()
    {
        // given privacy.mode = local with Krum on the server
        var config = SimulationDefaults.Load(ConfigurationFactory.ParseString("fedactors.privacy.mode = local\nfedactors.strategy.name = krum\nfedactors.simulation.clients = 10\nfedactors.server { fraction-fit = 0.8, min-fit-clients = 2 }"));

        // when read
        var settings = SimulationSettings.Read(config);

        // then the server runs Krum and the clients noise
        Assert.Equal("krum", settings.Strategy.Name);
        Assert.NotNull(settings.Runtime.Clients.LocalDp);
    }
}
