using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Security;

/// <summary>
/// The federation's certificates, made with the BCL's <see cref="CertificateRequest"/> (ECDSA
/// P-256, SHA-256; no cryptography of our own): a self-signed CA, the server's certificate, and
/// client nodes' certificates that name the client ids each node may register.
/// <para>
/// A client id is named as a subject alternative name URI, <c>urn:fedactors:client:ID</c> (the id
/// percent-escaped), one per id, rather than in a custom extension: the SAN is the standard place
/// for the identities a certificate vouches for (RFC 5280 §4.2.1.6), every tool shows it
/// (<c>openssl x509 -text</c>), the CA's signature covers it like any extension, and no private
/// OID has to be registered or explained. The subject's CN is only a label for logs.
/// </para>
/// </summary>
public static class FederationCertificates
{
    /// <summary>The prefix of the SAN URI that names one client id.</summary>
    public const string ClientUriPrefix = "urn:fedactors:client:";

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    /// <summary>A self-signed federation CA, valid for <paramref name="validity"/> from now.</summary>
    public static X509Certificate2 CreateCa(string name, TimeSpan validity)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now + validity);
    }

    /// <summary>The server's certificate, issued by <paramref name="ca"/>, naming <paramref name="host"/> (a DNS name or an IP address).</summary>
    public static X509Certificate2 CreateServer(X509Certificate2 ca, string host, TimeSpan validity)
    {
        var names = new SubjectAlternativeNameBuilder();
        if (System.Net.IPAddress.TryParse(host, out var ip))
        {
            names.AddIpAddress(ip);
        }
        else
        {
            names.AddDnsName(host);
        }

        var now = DateTimeOffset.UtcNow;
        return Issue(ca, $"CN=fedactors server {host}", names, now.AddMinutes(-5), now + validity);
    }

    /// <summary>A client node's certificate, issued by <paramref name="ca"/>, naming each of <paramref name="clients"/>.</summary>
    public static X509Certificate2 CreateClientNode(X509Certificate2 ca, IReadOnlyCollection<ClientId> clients, TimeSpan validity)
    {
        var now = DateTimeOffset.UtcNow;
        return CreateClientNode(ca, clients, now.AddMinutes(-5), now + validity);
    }

    /// <summary>
    /// A client node's certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>
    /// (never beyond the CA's): a window in the past makes the expired certificate a test needs.
    /// </summary>
    internal static X509Certificate2 CreateClientNode(X509Certificate2 ca, IReadOnlyCollection<ClientId> clients, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (clients.Count == 0)
        {
            throw new ArgumentException("a client node's certificate names at least one client id", nameof(clients));
        }

        var names = new SubjectAlternativeNameBuilder();
        foreach (var id in clients)
        {
            names.AddUri(new Uri(ClientUriPrefix + Uri.EscapeDataString(id.Value)));
        }

        var label = clients.Count == 1 ? clients.First().Value : $"{clients.First().Value} .. {clients.Last().Value} ({clients.Count})";
        return Issue(ca, $"CN=fedactors client node {label}", names, notBefore, notAfter);
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, SubjectAlternativeNameBuilder names, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var issuerKey = ca.GetECDsaPrivateKey() ?? throw new ArgumentException($"the CA certificate {ca.Subject} has no ECDSA private key: load the CA's .pfx, not its .crt", nameof(ca));
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(subject), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, critical: true));

        // Both: on Akka.Remote every node both accepts and opens TLS connections.
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], critical: false));
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        if (notAfter > ca.NotAfter)
        {
            notAfter = ca.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive serial number (RFC 5280 §4.1.2.2)
        using var issued = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>The client ids <paramref name="certificate"/> names in its SAN URIs (none for the server's or the CA's).</summary>
    public static IReadOnlySet<ClientId> ClientIds(X509Certificate2 certificate)
    {
        var ids = new HashSet<ClientId>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != "2.5.29.17")
            {
                continue;
            }

            // GeneralNames ::= SEQUENCE OF GeneralName; uniformResourceIdentifier is [6] IA5String.
            var sequence = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (sequence.HasData)
            {
                if (sequence.PeekTag().HasSameClassAndValue(uriTag))
                {
                    var uri = sequence.ReadCharacterString(UniversalTagNumber.IA5String, uriTag);
                    if (uri.StartsWith(ClientUriPrefix, StringComparison.Ordinal))
                    {
                        ids.Add(new ClientId(Uri.UnescapeDataString(uri[ClientUriPrefix.Length..])));
                    }
                }
                else
                {
                    sequence.ReadEncodedValue();
                }
            }
        }

        return ids;
    }

    /// <summary>Writes <paramref name="certificate"/> with its private key as PKCS#12, readable by its owner only (0600).</summary>
    public static void WritePfx(X509Certificate2 certificate, string path, string password)
    {
        var bytes = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
        WritePrivate(path, bytes);
    }

    /// <summary>Writes <paramref name="certificate"/>'s public part as PEM (what nodes need of the CA).</summary>
    public static void WritePem(X509Certificate2 certificate, string path) =>
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n");

    private static void WritePrivate(string path, byte[] bytes)
    {
        // Created 0600 from the start, so the key is never readable by others, even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.Write(bytes);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies to a new file only; an existing one keeps its mode otherwise.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
