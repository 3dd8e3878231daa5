using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedActors.Cluster.Security;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A federation CA and its certificates, made with the product's own certificate code, written to
/// a temporary folder that disposing deletes; and the HOCON that points a node at them.
/// </summary>
internal sealed class TestFederation : IDisposable
{
    public const string Password = "test-password";

    private static readonly TimeSpan Validity = TimeSpan.FromDays(1);

    public TestFederation(string name = "test federation CA")
    {
        Folder = Directory.CreateTempSubdirectory("fedactors-tls-").FullName;
        Ca = FederationCertificates.CreateCa(name, Validity);
        CaPath = Path.Combine(Folder, "ca.crt");
        FederationCertificates.WritePem(Ca, CaPath);
    }

    public string Folder { get; }

    public X509Certificate2 Ca { get; }

    public string CaPath { get; }

    /// <summary>The server's certificate, written as server.pfx.</summary>
    public (X509Certificate2 Certificate, string Path) Server()
    {
        var certificate = FederationCertificates.CreateServer(Ca, "127.0.0.1", Validity);
        return (certificate, Write(certificate, "server.pfx"));
    }

    /// <summary>A client node's certificate naming <paramref name="ids"/>, written as <paramref name="file"/>.</summary>
    public (X509Certificate2 Certificate, string Path) Node(string file, params ClientId[] ids)
    {
        var certificate = FederationCertificates.CreateClientNode(Ca, ids, Validity);
        return (certificate, Write(certificate, file));
    }

    /// <summary>A client node's certificate naming <paramref name="ids"/> that expired a day ago (issued by this CA two days ago).</summary>
    public (X509Certificate2 Certificate, string Path) Expired(string file, params ClientId[] ids)
    {
        var now = DateTimeOffset.UtcNow;
        var certificate = FederationCertificates.CreateClientNode(Ca, ids, now.AddDays(-2), now.AddDays(-1));
        return (certificate, Write(certificate, file));
    }

    /// <summary>The HOCON that turns TLS on with <paramref name="pfx"/> under <paramref name="caPath"/> (this CA's when null).</summary>
    public string Tls(string pfx, string? caPath = null, string extra = "") => $$"""
        fedactors.cluster.tls {
          enabled = on
          certificate = "{{pfx}}"
          password = "{{Password}}"
          ca = "{{caPath ?? CaPath}}"
          {{extra}}
        }
        """;

    public static string Thumbprint(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    public void Dispose() => Directory.Delete(Folder, recursive: true);

    private string Write(X509Certificate2 certificate, string file)
    {
        var path = Path.Combine(Folder, file);
        FederationCertificates.WritePfx(certificate, path, Password);
        return path;
    }
}
