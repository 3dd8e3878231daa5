using Akka.Configuration;
using FedActors.Cli.Configuration;

namespace FedActors.Cli.Tests;

/// <summary>
/// The robust strategies' minimum of updates against what a simulated round aggregates: a
/// configuration whose rounds could never satisfy the rule is refused before anything runs.
/// </summary>
public sealed class RobustStrategySettingsTests
{
    [Theory]
    [InlineData("fedactors.strategy { name = krum, krum.f = 1 }", "is krum, which needs n > 2f + 2 = 4 updates with f = 1 ('fedactors.strategy.krum.f'), but a round aggregates at most 4 updates")]
    [InlineData("fedactors.strategy { name = krum, krum { f = 0, m = 5 } }", "is krum, which needs n > 2f + 2 = 2 updates with f = 0 ('fedactors.strategy.krum.f'), and n >= m = 5 ('fedactors.strategy.krum.m'), but a round aggregates at most 4 updates")]
    [InlineData("fedactors.strategy { name = bulyan, bulyan.f = 1 }", "is bulyan, which needs n >= 4f + 3 = 7 updates with f = 1 ('fedactors.strategy.bulyan.f'), but a round aggregates at most 4 updates")]
    [InlineData("fedactors.strategy { name = norm-bounding, norm-bounding.inner = bulyan }", "is norm-bounding(bulyan), which needs n >= 4f + 3 = 7 updates")]
    public void Read_WhenRoundsSampleTooFewForTheStrategy_NamesTheStrategysKeys(string strategy, string expected)
    {
        // given 10 clients of which a round samples 4 (fraction-fit 0.4)
        var hocon = "fedactors { simulation.clients = 10, server.fraction-fit = 0.4 }\n" + strategy;

        // when the settings are read
        var e = Assert.Throws<ConfigurationException>(() => SimulationSettings.Read(SimulationDefaults.Load(ConfigurationFactory.ParseString(hocon))));

        // then the message names the strategy's rule and keys, and the sampling keys
        Assert.StartsWith("impossible settings: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("'fedactors.strategy.name' " + expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("'fedactors.server.fraction-fit'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fedactors.strategy { name = krum, krum.f = 1 }")]
    [InlineData("fedactors.strategy { name = bulyan, bulyan.f = 1 }")]
    public void Read_WhenRoundsSampleEnoughForTheStrategy_Accepts(string strategy)
    {
        // given 10 clients of which a round samples 7
        var hocon = "fedactors { simulation.clients = 10, server.fraction-fit = 0.7 }\n" + strategy;

        // when the settings are read, then they are accepted
        Assert.Equal(7, SimulationSettings.Read(SimulationDefaults.Load(ConfigurationFactory.ParseString(hocon))).SampledPerRound);
    }
}
