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
        // given a CA whose key has the password of a file, the server's certificate and a node's for three of the shipped run's clients
        var password = _folder.File("ca-password.txt", "correct horse battery staple\n");
        var ca = await Certs("ca", "--out", In("ca"), "--password-file", password);
        var server = await Certs("server", "--ca", In("ca"), "--ca-password-file", password, "--host", "127.0.0.1", "--out", In("server"));
        var node = await Certs("client", "--ca", In("ca"), "--ca-password-file", password, "--config", Path.Combine(ShippedConfigsTests.Hocon, "client.conf"), "--first-client-id", "2", "--clients-on-node", "3", "--out", In("node"));

        // then each succeeded, the CA's key opens with that password only, and the node's certificate loads,
        // chains to ca.crt and names exactly its ids
        Assert.Equal((0, 0, 0), (ca.ExitCode, server.ExitCode, node.ExitCode));
        Assert.Throws<System.Security.Cryptography.CryptographicException>(() => X509CertificateLoader.LoadPkcs12FromFile(In("ca/ca.pfx"), string.Empty));
        using (var key = X509CertificateLoader.LoadPkcs12FromFile(In("ca/ca.pfx"), "correct horse battery staple"))
        {
            Assert.True(key.HasPrivateKey);
        }

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
    public async Task Ca_WithoutAPasswordFile_ExitsTwoNamingBothChoices_AndWritesNothing()
    {
        // when a CA is made with neither --password-file nor --no-password
        var result = await Certs("ca", "--out", In("ca"));

        // then it is a usage error that names both ways on, and no key was written unencrypted
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--password-file", result.Error, StringComparison.Ordinal);
        Assert.Contains("--no-password", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(In("ca/ca.pfx")));
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public async Task Ca_WithAPasswordFileWhoseFirstLineIsEmpty_ExitsTwoNamingTheFile()
    {
        var empty = _folder.File("empty.txt", "\nsecond line\n");
        var result = await Certs("ca", "--out", In("ca"), "--password-file", empty);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--password-file {empty}: its first line is empty", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(In("ca/ca.pfx")));
    }

    [Fact]
    public async Task Ca_WithBothAPasswordFileAndNoPassword_ExitsTwo()
    {
        var password = _folder.File("ca-password.txt", "secret\n");
        var result = await Certs("ca", "--out", In("ca"), "--password-file", password, "--no-password");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--password-file and --no-password", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(In("ca/ca.pfx")));
    }

    [Fact]
    public async Task Ca_WithNoPassword_WritesAKeyWithoutPassword_AndSaysSo()
    {
        // when the user asks for an unencrypted CA key
        var result = await Certs("ca", "--out", In("ca"), "--no-password");

        // then it is written, opens without a password, and the output says it has none
        Assert.Equal(0, result.ExitCode);
        using var key = X509CertificateLoader.LoadPkcs12FromFile(In("ca/ca.pfx"), string.Empty);
        Assert.True(key.HasPrivateKey);
        Assert.Contains("no password", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ca_WhenACaIsAlreadyThere_RefusesToReplaceIt()
    {
        // given a CA
        Assert.Equal(0, (await Certs("ca", "--out", In("ca"), "--no-password")).ExitCode);

        // when another is made in the same folder
        var again = await Certs("ca", "--out", In("ca"), "--no-password");

        // then it is a usage error, and the first CA is kept
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"{In("ca/ca.pfx")} exists", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_ForACaWithAPassword_WithoutTheCaPasswordFile_ExitsTwoAskingForIt()
    {
        // given a CA under a password
        Assert.Equal(0, (await Certs("ca", "--out", In("ca"), "--password-file", _folder.File("ca-password.txt", "secret\n"))).ExitCode);

        // when the server's certificate is asked for without --ca-password-file
        var result = await Certs("server", "--ca", In("ca"), "--host", "127.0.0.1", "--out", In("server"));

        // then it is a usage error that says the key has a password and which option gives it
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{In("ca/ca.pfx")} does not load without a password (it has one: give --ca-password-file", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(In("server/server.pfx")));
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
        await Certs("ca", "--out", In("ca"), "--no-password");

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
