using Akka.Configuration;
using FedActors.Core.Client;
using FedActors.Core.Configuration;
using FedActors.Core.Server;

namespace FedActors.Core.Tests.Configuration;

public sealed class SettingsTests
{
    [Fact]
    public void RoundCoordinatorSettings_FromTheEmbeddedDefaults_HasTheDocumentedValues()
    {
        // given reference.conf alone
        // when the settings are read
        var s = RoundCoordinatorSettings.Create(FedActorsConfig.Load());

        // then every value is the one reference.conf documents
        Assert.Equal((5, 42, 2, TimeSpan.FromSeconds(60)), (s.Rounds, s.Seed, s.MinAvailableClients, s.RegistrationTimeout));
        Assert.Equal((0.2, 2, TimeSpan.FromSeconds(120), false, 2), (s.FractionFit, s.MinFitClients, s.RoundTimeout, s.AcceptFailures, s.MaxRoundRetries));
        Assert.Null(s.MaxUpdateNorm);
        Assert.False(s.LogVerbose);
        Assert.Equal((1, 32, 0.01f, 0f, 0f), (s.Training.LocalEpochs, s.Training.BatchSize, s.Training.LearningRate, s.Training.Momentum, s.Training.WeightDecay));
    }

    [Fact]
    public void ClientSupervisorSettings_FromTheEmbeddedDefaults_HasTheDocumentedValues()
    {
        var s = ClientSupervisorSettings.Create(FedActorsConfig.Load());
        Assert.Equal((10, TimeSpan.FromSeconds(60)), (s.MaxRestarts, s.RestartWindow));
    }

    [Fact]
    public void Load_WithAParallelism_SizesTheTrainingDispatcher()
    {
        // given parallelism 3
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString("fedactors.training.parallelism = 3"));

        // then the training dispatcher gets three threads
        Assert.Equal(3, config.GetInt("fedactors.training-dispatcher.dedicated-thread-pool.thread-count"));
    }

    [Theory]
    [InlineData("fedactors.server.fraction-fit = 1.5", "fedactors.server.fraction-fit", "(0, 1]")]
    [InlineData("fedactors.server.fraction-fit = 0", "fedactors.server.fraction-fit", "(0, 1]")]
    [InlineData("fedactors.run.rounds = ten", "fedactors.run.rounds", "whole number")]
    [InlineData("fedactors.run.rounds = 0", "fedactors.run.rounds", ">= 1")]
    [InlineData("fedactors.server.round-timeout = soon", "fedactors.server.round-timeout", "duration")]
    [InlineData("fedactors.server.accept-failures = maybe", "fedactors.server.accept-failures", "on or off")]
    [InlineData("fedactors.training.learning-rate = -1", "fedactors.training.learning-rate", "(0, inf]")]
    [InlineData("fedactors.server { min-fit-clients = 5, min-available-clients = 3 }", "fedactors.server.min-fit-clients", "must not exceed")]
    public void RoundCoordinatorSettings_WhenAValueIsInvalid_ThrowsNamingTheKeyAndTheRule(string hocon, string key, string rule)
    {
        // given an invalid value over the defaults
        var config = FedActorsConfig.Load(ConfigurationFactory.ParseString(hocon));

        // when the settings are read
        var error = Assert.Throws<ConfigurationException>(() => RoundCoordinatorSettings.Create(config));

        // then the message names the key and what it must be
        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains(rule, error.Message);
    }

    [Fact]
    public void UnknownKeys_WhenAKeyIsMisspelt_ReportsItsFullPath()
    {
        // given a file with one good and two unknown keys
        var user = ConfigurationFactory.ParseString("""
            fedactors.run.rounds = 3
            fedactors.server.fraction_fit = 0.5
            fedactors.simulaton.clients = 4
            fedactors.training-dispatcher.throughput = 5
            """);

        // when checked
        var unknown = UnknownKeys.Find(user);

        // then both unknown paths are reported, and dispatcher tuning is allowed
        Assert.Equal(["fedactors.server.fraction_fit", "fedactors.simulaton"], unknown);
    }

    [Fact]
    public void Create_FromAHostAppsActorSystemWithoutFedActorsConfig_FallsBackOnTheEmbeddedDefaults()
    {
        // given an actor system a host app built with a few keys of its own, none of the defaults
        using var system = Akka.Actor.ActorSystem.Create("host-app", ConfigurationFactory.ParseString("fedactors.run.rounds = 7"));

        // when the settings are read from it
        var server = RoundCoordinatorSettings.Create(system);
        var clients = ClientSupervisorSettings.Create(system);

        // then its own key wins and every other key has its default
        Assert.Equal((7, 42, 2), (server.Rounds, server.Seed, server.MinFitClients));
        Assert.Equal(TimeSpan.FromSeconds(2), clients.RegistrationRetry);
    }
}
