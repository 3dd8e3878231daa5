using FedActors.Cli.Configuration;
using FedActors.Cli.Tests.Support;
using FedActors.Cluster.Configuration;

namespace FedActors.Cli.Tests;

/// <summary><c>fedactors server</c> and <c>fedactors client</c>: their options, their files, and their usage errors.</summary>
public sealed class ClusterCommandsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static string Conf(string file) => Path.Combine(ShippedConfigsTests.Hocon, file);

    [Fact]
    public async Task Server_WithTheShippedServerConf_RunsTheSeedExampleOnItsEngineWithHostAndPortFromTheOptions()
    {
        // given the server command's engine, and the shipped server.conf
        var simulation = new FakeEngine(Rounds.History(2));
        var server = new FakeEngine(Rounds.History(2));

        // when the server runs with --host and --port
        var result = await CliRunner.RunAsync(simulation, server, "server", "--config", Conf("server.conf"), "--host", "10.0.0.5", "--port", "4100", "--output", Path.Combine(_folder.Path, "out"));

        // then the server's engine ran the seed example's run, listening where the options say
        Assert.Equal(0, result.ExitCode);
        Assert.Equal((0, 1), (simulation.Calls, server.Calls));
        Assert.StartsWith("FedActors server (", result.Out, StringComparison.Ordinal);
        var cluster = ClusterSettings.Read(server.Config!);
        Assert.Equal(("10.0.0.5", 4100), (cluster.ServerHost, cluster.ServerPort));
        Assert.Equal(("logistic-regression", 10, 10), (server.Settings!.Model, server.Settings.Clients, server.Settings.Server.Rounds));
    }

    [Fact]
    public void ShippedServerAndClientConfs_IncludeTheSeedExampleAndAgreeOnTheAddress()
    {
        // given the shipped server and client files, each including the seed example
        var server = ConfigLayers.Load(Conf("server.conf"), []).Effective;
        var client = ConfigLayers.Load(Conf("client.conf"), []).Effective;
        var seed = SimulationSettings.Read(ConfigLayers.Load(Conf("seed-example.conf"), []).Effective);

        // then both run the seed example's run, the server's own keys win over the included file's,
        // and the client dials the address the server listens on
        Assert.Equal(seed.Server.Rounds, SimulationSettings.Read(client).Server.Rounds);
        Assert.Equal(seed.Clients, SimulationSettings.Read(server).Clients);
        Assert.Equal("fedactors-output/seed-example-cluster", SimulationSettings.Read(server).OutputDirectory);
        var (listens, dials) = (ClusterSettings.Read(server), ClusterSettings.Read(client));
        Assert.Equal($"akka.tcp://{listens.SystemName}@{listens.ServerHost}:{listens.ServerPort}", dials.SeedAddress().ToString());
    }

    [Theory]
    [InlineData("--first-client-id 12", "--first-client-id is 12, outside the run's clients 0..9")]
    [InlineData("--first-client-id 8 --clients-on-node 5", "--clients-on-node is 5: from client 8, the run has 2 clients left")]
    [InlineData("--client-ids client-3,client-x", "--client-ids: client-x is not among the run's clients (client-0 .. client-9")]
    [InlineData("--client-ids client-3 --first-client-id 1", "give either --client-ids or --first-client-id, not both")]
    public async Task Client_WhenItsClientsAreNotTheRunsOwn_ExitsTwoSayingWhy(string options, string expected)
    {
        // given the shipped client.conf (the seed example's ten clients)
        // when a node is started with clients the run does not have
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), ["client", "--config", Conf("client.conf"), .. options.Split(' ')]);

        // then it stops before anything runs, saying what is wrong
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WithoutASeed_ExitsTwoNamingTheKeyAndTheOption()
    {
        // given the seed example alone, which names no server
        // when a client node is started without --seed
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), "client", "--config", Conf("seed-example.conf"));

        // then it says which key to set and how
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.cluster.client.seed' is not set", result.Error, StringComparison.Ordinal);
        Assert.Contains("--seed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WithAMalformedSeed_ExitsTwoNamingItAndWhereItWasSet()
    {
        // given a seed that is not an Akka address
        // when a client node is started with it
        var result = await CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), "client", "--config", Conf("client.conf"), "--seed", "127.0.0.1:4053");

        // then the error names the value, the key and the option
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'fedactors.cluster.client.seed' is '127.0.0.1:4053'", result.Error, StringComparison.Ordinal);
        Assert.Contains("set by --seed 127.0.0.1:4053", result.Error, StringComparison.Ordinal);
    }
}
