using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace FedActors.Cluster.Security;

/// <summary>
/// Who belongs to the federation: a certificate that chains to the federation CA, and to nothing
/// else (the system's trusted roots play no part: a certificate from a public CA is a stranger
/// here), that is valid now and that the deny list does not revoke. It decides both in Akka.Remote's
/// TLS handshake (<see cref="TlsValidator"/>, on both sides of every connection) and at a node's
/// hello (the certificate whose key signed the server's nonce), and writes each decision to the
/// audit log.
/// </summary>
public sealed class FederationTrust
{
    private readonly X509Certificate2 _ca;
    private readonly DenyList? _denyList;

    /// <summary>Trust under <paramref name="ca"/>, revoking what <paramref name="denyListPath"/> lists (empty: nothing).</summary>
    public FederationTrust(X509Certificate2 ca, string denyListPath, AuditLog? audit)
    {
        _ca = ca;
        _denyList = denyListPath.Length > 0 ? new DenyList(denyListPath) : null;
        Audit = audit;
    }

    /// <summary>Where decisions are recorded; null when no audit log is configured.</summary>
    public AuditLog? Audit { get; }

    /// <summary>Why <paramref name="certificate"/> does not chain to <paramref name="ca"/> now, or null when it does.</summary>
    public static string? ChainError(X509Certificate2 certificate, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        // Revocation is the deny list's: the federation CA publishes no CRL or OCSP responder.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (!chain.Build(certificate))
        {
            var status = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
            return $"its chain does not verify to the federation CA {ca.Subject}: {string.Join("; ", status)}";
        }

        var root = chain.ChainElements[^1].Certificate;
        return root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span) ? null : $"it chains to {root.Subject}, not to the federation CA {ca.Subject}";
    }

    /// <summary>Why <paramref name="certificate"/> may not take part, or null when it may.</summary>
    public string? Refusal(X509Certificate2 certificate)
    {
        if (ChainError(certificate, _ca) is { } error)
        {
            return $"certificate {certificate.Subject}: {error}";
        }

        return _denyList?.Revokes(certificate) is { } entry ? $"certificate {certificate.Subject} is revoked (deny list: {entry})" : null;
    }

    /// <summary>
    /// Why this node last refused a peer's certificate in a TLS handshake; null while it refused none.
    /// A client node dials only the server, so when its handshake fails this says whether, and why,
    /// the node itself refused the server (the server's reasons stay on the server: TLS tells the
    /// refused side only that it was).
    /// </summary>
    public string? LastRefusal => _lastRefusal;

    private volatile string? _lastRefusal;

    /// <summary>The deny list file's read problem, if the last read failed.</summary>
    public string? DenyListError => _denyList?.LastError;

    /// <summary>
    /// Akka.Remote's validation callback: the peer's certificate must pass <see cref="Refusal"/>.
    /// SslStream's chain errors are ignored on purpose: they come from the system's store, where the
    /// federation CA is not. Its name check is used by client nodes only
    /// (<paramref name="serverName"/>): they dial the server alone, whose certificate names the
    /// host they dial (`certs server --host`), so another federation certificate (a client node's)
    /// cannot pose as the server. The server cannot check names: client nodes behind NAT have none.
    /// </summary>
    public CertificateValidationCallback TlsValidator(bool serverName) => (certificate, _, peer, errors, log) =>
    {
        if (serverName && certificate is not null && errors.HasFlag(System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            _lastRefusal = $"its certificate {certificate.Subject} does not name the host this node dials (the server's certificate must: `fedactors certs server --host`)";
            log.Warning("TLS: refused {Peer}: {Reason}", peer, _lastRefusal);
            return false;
        }

        if (certificate is null)
        {
            _lastRefusal = "it showed no certificate";
            Audit?.Write("tls-handshake", peer, null, [], accepted: false, "no certificate shown");
            log.Warning("TLS: refused {Peer}: it showed no certificate", peer);
            return false;
        }

        var refusal = Refusal(certificate);
        Audit?.Write(refusal is null ? "tls-handshake" : refusal.Contains("is revoked", StringComparison.Ordinal) ? "revoked" : "tls-handshake", peer, certificate, FederationCertificates.ClientIds(certificate).Order(), refusal is null, refusal ?? "chains to the federation CA");
        if (refusal is not null)
        {
            _lastRefusal = refusal;
            log.Warning("TLS: refused {Peer}: {Reason}", peer, refusal);
        }

        return refusal is null;
    };
}
