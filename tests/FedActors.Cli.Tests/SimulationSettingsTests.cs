using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Server;

namespace FedActors.Cli.Tests;

public sealed class SimulationSettingsTests
{
    [Fact]
    public void Read_WhenGivenTheDefaults_MatchesReferenceConf()
    {
        // when
        var settings = SimulationSettings.Read(SimulationDefaults.Load(Config.Empty));

        // then
        Assert.Equal(
            new SimulationSettings(
                settings.Runtime, settings.Strategy, Clients: 10, Model: "logistic-regression",
                DatasetDirectory: "/usr/share/datasets/fashion-mnist", TrainLimit: 0, TestLimit: 0, Scheme: "iid", Alpha: 0.5,
                ShardsPerClient: 2, LabelsPerClient: 2, HeldOutShare: 0.2, Attack: settings.Attack, Parallelism: 2, TorchThreads: 1, OutputDirectory: "fedactors-output",
                CheckpointDirectory: null),
            settings);
        Assert.Equal(RoundCoordinatorSettings.Create(FedActorsConfig.Load()), settings.Server);
        Assert.Equal(0, settings.EffectiveHeldOutShare);
        Assert.Equal("fedavg", settings.Strategy.Name);
        Assert.Equal(Core.Simulation.AttackKind.None, settings.Attack.Kind);
        Assert.Equal((5, 42, 0.2, 2), (settings.Server.Rounds, settings.Server.Seed, settings.Server.FractionFit, settings.Server.MinFitClients));
        Assert.Equal(2, settings.SampledPerRound);
    }

    [Theory]
    [InlineData("fedactors.server.fraction-fit = 0", "'fedactors.server.fraction-fit' is '0', but must be a number in (0, 1]")]
    [InlineData("fedactors.server.fraction-fit = 1.01", "'fedactors.server.fraction-fit' is '1.01', but must be a number in (0, 1]")]
    [InlineData("fedactors.simulation.partitioning.alpha = 0", "'fedactors.simulation.partitioning.alpha' is '0', but must be a number in (0, inf]")]
    [InlineData("fedactors.simulation.partitioning.alpha = -0.5", "'fedactors.simulation.partitioning.alpha' is '-0.5'")]
    [InlineData("fedactors.simulation.partitioning.labels-per-client = 0", "'fedactors.simulation.partitioning.labels-per-client' is '0', but must be a whole number in [1, 10]")]
    [InlineData("fedactors.simulation.partitioning.labels-per-client = 11", "'fedactors.simulation.partitioning.labels-per-client' is '11', but must be a whole number in [1, 10]")]
    [InlineData("fedactors.simulation.model = resnet", "'fedactors.simulation.model' is 'resnet', but must be one of logistic-regression, mlp, cnn, niid-cnn")]
    [InlineData("fedactors.server.round-timeout = soon", "'fedactors.server.round-timeout' is 'soon', but must be a duration")]
    [InlineData("fedactors.run.rounds = 2.5", "'fedactors.run.rounds' is '2.5', but must be a whole number")]
    [InlineData("fedactors.server { min-fit-clients = 3, min-available-clients = 2 }", "'fedactors.server.min-fit-clients' is 3, but must not exceed 'fedactors.server.min-available-clients' (2)")]
    [InlineData("fedactors.client.restart-window = never", "'fedactors.client.restart-window' is 'never'")]
    [InlineData("fedactors.strategy.name = fedsgd", "'fedactors.strategy.name' is 'fedsgd', but must be one of fedavg")]
    [InlineData("fedactors.strategy { name = fedprox, fedprox.mu = -0.1 }", "'fedactors.strategy.fedprox.mu' is '-0.1', but must be a number in [0, inf]")]
    [InlineData("fedactors.strategy { name = feddyn, feddyn.alpha = 0 }", "'fedactors.strategy.feddyn.alpha' is '0', but must be a number in (0, inf]")]
    [InlineData("fedactors.strategy { name = scaffold, scaffold.server-learning-rate = 0 }", "'fedactors.strategy.scaffold.server-learning-rate' is '0'")]
    public void Read_WhenAValueIsOutOfRangeOrIllTyped_NamesTheKey(string hocon, string expected)
    {
        // when
        var e = Assert.Throws<ConfigurationException>(() => Read(hocon));

        // then
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fedactors { simulation.clients = 5, server { min-fit-clients = 6, min-available-clients = 6 } }", "'fedactors.server.min-fit-clients' is 6, but only 5 clients exist")]
    [InlineData("fedactors { simulation.clients = 5, server.min-available-clients = 8 }", "'fedactors.server.min-available-clients' is 8, but only 5 clients exist")]
    [InlineData("fedactors.simulation { clients = 200, dataset.train-limit = 100 }", "'fedactors.simulation.clients' is 200, more than the 100 training samples")]
    [InlineData("fedactors.simulation { clients = 10, dataset.train-limit = 100, partitioning { scheme = shards, shards-per-client = 20 } }", "is more shards than the 100 training samples")]
    public void Read_WhenSettingsAreImpossibleTogether_SaysWhy(string hocon, string expected)
    {
        // when
        var e = Assert.Throws<ConfigurationException>(() => Read(hocon));

        // then
        Assert.StartsWith("impossible settings: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100, 0.1, 10, 10)]
    [InlineData(10, 0.2, 2, 2)]
    [InlineData(10, 0.05, 2, 2)]
    [InlineData(7, 1.0, 1, 7)]
    public void SampledPerRound_WhenFractionAndMinimumDiffer_TakesTheLarger(int clients, double fraction, int minFit, int expected)
    {
        // given
        var settings = Read($"fedactors {{ simulation.clients = {clients}, server {{ fraction-fit = {fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}, min-fit-clients = {minFit}, min-available-clients = {minFit} }} }}");

        // when / then
        Assert.Equal(expected, settings.SampledPerRound);
    }

    private static SimulationSettings Read(string hocon) =>
        SimulationSettings.Read(SimulationDefaults.Load(ConfigurationFactory.ParseString(hocon)));
}
