using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using FedActors.Cluster.Security;
using FedActors.Core.Protocol;

namespace FedActors.Benchmarks.Wire;

/// <summary>
/// The <c>wire --tls on</c> benchmark's federation: a CA, the server's certificate for 127.0.0.1
/// and one client node's, made with the product's own certificate code in a temporary folder
/// (deleted on dispose); the HOCON that turns TLS on for each side; and the same certificates on
/// the baseline's socket, so that both paths pay for the same TLS.
/// </summary>
internal sealed class WireFederation : IDisposable
{
    private const string Password = "wire-benchmark";
    private static readonly TimeSpan Validity = TimeSpan.FromDays(1);
    private readonly string _folder = Directory.CreateTempSubdirectory("fedactors-wire-tls-").FullName;
    private readonly X509Certificate2 _ca;
    private readonly X509Certificate2 _server;
    private readonly X509Certificate2 _node;

    public WireFederation(ClientId client)
    {
        _ca = FederationCertificates.CreateCa("wire benchmark CA", Validity);
        _server = FederationCertificates.CreateServer(_ca, "127.0.0.1", Validity);
        _node = FederationCertificates.CreateClientNode(_ca, [client], Validity);
        FederationCertificates.WritePem(_ca, Path.Combine(_folder, "ca.crt"));
        FederationCertificates.WritePfx(_server, Path.Combine(_folder, "server.pfx"), Password);
        FederationCertificates.WritePfx(_node, Path.Combine(_folder, "node.pfx"), Password);
    }

    /// <summary>The server node's TLS settings.</summary>
    public string ServerHocon => Hocon("server.pfx");

    /// <summary>The client node's TLS settings.</summary>
    public string NodeHocon => Hocon("node.pfx");

    /// <summary>Mutual TLS on the two ends of a loopback connection, as the bulk channel does it: the node's end dials.</summary>
    public async Task<(Stream Node, Stream Server)> AuthenticateAsync(Stream node, Stream server)
    {
        var nodeSide = new SslStream(node);
        var serverSide = new SslStream(server);
        bool Federation(X509Certificate? presented) => presented is not null && FederationTrust.ChainError(Cluster.Transfers.BulkConnection.AsCertificate2(presented), _ca) is null;
        await Task.WhenAll(
            nodeSide.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "127.0.0.1",
                ClientCertificates = [_node],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, c, _, _) => Federation(c),
            }),
            serverSide.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = _server,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, c, _, _) => Federation(c),
            })).ConfigureAwait(false);
        return (nodeSide, serverSide);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Hocon(string pfx) => $$"""
        fedactors.cluster.tls {
          enabled = on
          certificate = "{{Path.Combine(_folder, pfx)}}"
          password = "{{Password}}"
          ca = "{{Path.Combine(_folder, "ca.crt")}}"
        }
        """;
}
