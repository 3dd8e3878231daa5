using Akka.Configuration;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests;

/// <summary>Bad TLS input: each is a <see cref="ConfigurationException"/> at start-up naming the key and the file.</summary>
public sealed class TlsSettingsTests : IDisposable
{
    private readonly TestFederation _federation = new();

    public void Dispose() => _federation.Dispose();

    [Fact]
    public void TheDefaults_LeaveTlsOff()
    {
        // given no TLS key set
        // then TLS is off and nothing is loaded
        var tls = ClusterSettings.Read(Config.Empty).Tls;
        Assert.False(tls.Enabled);
        Assert.Null(tls.Certificate);
    }

    [Fact]
    public void ACertificateFileThatDoesNotExist_IsAnErrorNamingTheKeyAndTheFile()
    {
        var missing = Path.Combine(_federation.Folder, "missing.pfx");
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(missing)));
        Assert.Contains($"'fedactors.cluster.tls.certificate' is '{missing}', which does not exist", e.Message);
    }

    [Fact]
    public void AWrongPassword_IsAnErrorNamingTheFileTheKeyAndThePasswordsSource()
    {
        var (_, pfx) = _federation.Node("node.pfx", new ClientId("client-0"));
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(pfx).Replace(TestFederation.Password, "wrong", StringComparison.Ordinal)));
        Assert.Contains($"'fedactors.cluster.tls.certificate' is '{pfx}', which does not load as PKCS#12 with the password of 'fedactors.cluster.tls.password'", e.Message);
    }

    [Fact]
    public void AFileThatIsNotPkcs12_IsAnErrorNamingIt()
    {
        var notPfx = Path.Combine(_federation.Folder, "node.pfx");
        File.WriteAllText(notPfx, "not a certificate");
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(notPfx)));
        Assert.Contains($"'{notPfx}', which does not load as PKCS#12", e.Message);
    }

    [Fact]
    public void ACaFileThatIsMissing_IsAnErrorNamingTheCaKey()
    {
        var (_, pfx) = _federation.Node("node.pfx", new ClientId("client-0"));
        var missing = Path.Combine(_federation.Folder, "nope.crt");
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(pfx, missing)));
        Assert.Contains($"'fedactors.cluster.tls.ca' is '{missing}', which does not exist", e.Message);
    }

    [Fact]
    public void TlsOnWithoutACa_IsAnErrorSayingWhichKeyToSet()
    {
        var e = Assert.Throws<ConfigurationException>(() => Read("fedactors.cluster.tls.enabled = on"));
        Assert.Contains("'fedactors.cluster.tls.ca' is not set", e.Message);
    }

    [Fact]
    public void ACertificateOfAnotherCa_IsAnErrorNamingBothFiles()
    {
        // given this node's certificate from another CA than the configured one
        using var other = new TestFederation("other CA");
        var (_, pfx) = other.Node("node.pfx", new ClientId("client-0"));

        // then the node does not start, naming its certificate and the CA it is not valid under
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(pfx)));
        Assert.Contains($"'fedactors.cluster.tls.certificate' ('{pfx}'", e.Message);
        Assert.Contains($"is not valid under the federation CA of 'fedactors.cluster.tls.ca' ('{_federation.CaPath}'", e.Message);
    }

    [Fact]
    public void APasswordFileAndAnEnvironmentVariable_AreRead_AndADenyListThatDoesNotExistIsAnError()
    {
        // given a certificate and its password in a file, then in an environment variable
        var (_, pfx) = _federation.Node("node.pfx", new ClientId("client-0"));
        var passwordFile = Path.Combine(_federation.Folder, "password");
        File.WriteAllText(passwordFile, TestFederation.Password + "\n");
        var viaFile = _federation.Tls(pfx).Replace($"password = \"{TestFederation.Password}\"", $"password-file = \"{passwordFile}\"", StringComparison.Ordinal);
        var variable = "FEDACTORS_TEST_PFX_PASSWORD_" + Environment.ProcessId;
        Environment.SetEnvironmentVariable(variable, TestFederation.Password);
        var viaEnv = _federation.Tls(pfx).Replace($"password = \"{TestFederation.Password}\"", $"password-env = \"{variable}\"", StringComparison.Ordinal);

        // then both load, and a deny list that does not exist is named
        Assert.True(Read(viaFile).Tls.Enabled);
        Assert.True(Read(viaEnv).Tls.Enabled);
        var e = Assert.Throws<ConfigurationException>(() => Read(_federation.Tls(pfx, extra: "deny-list = \"/nonexistent/deny.txt\"")));
        Assert.Contains("'fedactors.cluster.tls.deny-list' is '/nonexistent/deny.txt', which does not exist", e.Message);
        Environment.SetEnvironmentVariable(variable, null);
    }

    private static ClusterSettings Read(string hocon) => ClusterSettings.Read(ConfigurationFactory.ParseString(hocon));
}
