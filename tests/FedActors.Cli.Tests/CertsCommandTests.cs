using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using FedActors.Cli.Tests.Support;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Security;
using FedActors.Core.Protocol;

namespace FedActors.Cli.Tests;

/// <summary><c>fedactors certs</c>: the files it writes load, chain and name the right ids; its bad input, and a node's.</summary>
public sealed class CertsCommandTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string In(string name) => Path.Combine(_folder.Path, name);

    [Fact]
    public async Task CaServerAndClient_WriteCertificatesThatLoadChainToTheCaAndNameTheRunsIds()
    {
        // given a CA, the server's certificate and a node's for three of the shipped run's clients
        var ca = await Certs("ca", "--out", In("ca"));
        var server = await Certs("server", "--ca", In("ca"), "--host", "127.0.0.1", "--out", In("server"));
        var node = await Certs("client", "--ca", In("ca"), "--config", Path.Combine(ShippedConfigsTests.Hocon, "client.conf"), "--first-client-id", "2", "--clients-on-node", "3", "--out", In("node"));

        // then each succeeded, and the node's certificate loads, chains to ca.crt and names exactly its ids
        Assert.Equal((0, 0, 0), (ca.ExitCode, server.ExitCode, node.ExitCode));
        Assert.Contains("names 3 client ids: client-2, client-3, client-4", node.Out, StringComparison.Ordinal);
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(In("node/node.pfx"), string.Empty);
        using var authority = X509CertificateLoader.LoadCertificateFromFile(In("node/ca.crt"));
        Assert.Null(FederationTrust.ChainError(certificate, authority));
        Assert.Equal(new[] { "client-2", "client-3", "client-4" }.Select(i => new ClientId(i)).ToHashSet(), FederationCertificates.ClientIds(certificate));

        // and a node configured with them starts with TLS on
        var tls = ClusterSettings.Read(ConfigurationFactory.ParseString($$"""
            fedactors.cluster.tls { enabled = on, certificate = "{{In("server/server.pfx")}}", ca = "{{In("server/ca.crt")}}" }
            """)).Tls;
        Assert.True(tls.Enabled);
        Assert.True(tls.Certificate!.HasPrivateKey);
    }

    [Fact]
    public async Task Ca_WhenACaIsAlreadyThere_RefusesToReplaceIt()
    {
        // given a CA
        Assert.Equal(0, (await Certs("ca", "--out", In("ca"))).ExitCode);

        // when another is made in the same folder
        var again = await Certs("ca", "--out", In("ca"));

        // then it is a usage error, and the first CA is kept
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"{In("ca/ca.pfx")} exists", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_WhenTheCaFolderHasNoCa_ExitsTwoNamingTheFile()
    {
        var result = await Certs("client", "--ca", In("nowhere"), "--client-ids", "client-1", "--out", In("node"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{In("nowhere/ca.pfx")} does not exist", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientNode_WithACertificateFileThatDoesNotExist_ExitsTwoNamingTheKeyAndTheFile()
    {
        // given a CA, and a node configured with TLS on and a certificate path with no file
        await Certs("ca", "--out", In("ca"));

        // when the client node starts
        var result = await CliRunner.RunAsync(
            new FakeEngine(Rounds.History(1)),
            "client", "--config", Path.Combine(ShippedConfigsTests.Hocon, "client.conf"), "--seed", "akka.ssl.tcp://fedactors@127.0.0.1:4053",
            "--set", "cluster.tls.enabled=on", "--set", $"cluster.tls.ca={In("ca/ca.crt")}", "--set", $"cluster.tls.certificate={In("missing.pfx")}");

        // then it stops before anything runs, naming the key and the file
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"'fedactors.cluster.tls.certificate' is '{In("missing.pfx")}', which does not exist", result.Error, StringComparison.Ordinal);
    }

    private static Task<CliRunner.Result> Certs(params string[] args) => CliRunner.RunAsync(new FakeEngine(Rounds.History(1)), ["certs", .. args]);
}
