using System.Security.Cryptography.X509Certificates;
using FedActors.Cluster.Security;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests;

/// <summary>The federation's certificates as <see cref="FederationCertificates"/> makes and writes them.</summary>
public sealed class FederationCertificatesTests : IDisposable
{
    private readonly TestFederation _federation = new();

    public void Dispose() => _federation.Dispose();

    [Fact]
    public void AClientNodeCertificate_WrittenAsPfx_LoadsWithItsKey_ChainsToTheCa_AndNamesExactlyItsIds()
    {
        // given a node certificate for two ids, one of which needs escaping in a URI
        var ids = new[] { new ClientId("client-07"), new ClientId("hospital a/3") };
        var (_, path) = _federation.Node("node.pfx", ids);

        // when it is loaded back from its file, with the CA from its PEM
        using var loaded = X509CertificateLoader.LoadPkcs12FromFile(path, TestFederation.Password);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(_federation.CaPath);

        // then it has its private key, chains to the CA, and names the two ids and no others
        Assert.True(loaded.HasPrivateKey);
        Assert.Null(FederationTrust.ChainError(loaded, ca));
        Assert.Equal(ids.ToHashSet(), FederationCertificates.ClientIds(loaded));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the project's only runtime (Directory.Build.props)
    public void APfx_IsReadableByItsOwnerOnly_AndTheServersNamesNoClientIds()
    {
        // given the server's certificate, written as a .pfx
        var (certificate, path) = _federation.Server();

        // then the file's mode is 0600, and the certificate vouches for no client id
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(FederationCertificates.ClientIds(certificate));
    }

    [Fact]
    public void ACertificateOfAnotherCa_DoesNotChainToTheFederationCa_EvenWithTheSameCaName()
    {
        // given a second CA with the same name as the federation's, and a node certificate it issued
        using var impostor = new TestFederation("test federation CA");
        var (foreign, _) = impostor.Node("node.pfx", new ClientId("client-0"));

        // then it does not chain to the federation's CA: the key decides, not the name
        Assert.Contains("does not verify to the federation CA", FederationTrust.ChainError(foreign, _federation.Ca));
    }
}
