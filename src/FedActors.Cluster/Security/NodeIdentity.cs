using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Akka.Actor;
using FedActors.Cluster.Protocol;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Security;

/// <summary>
/// A client node's proof of identity at its hello, and its check: the node signs, with the private
/// key of its federation certificate, the bytes of <see cref="SignedBytes"/>: a domain label, the
/// server's nonce, the server's address the node dialled, its link's path and its client ids. The
/// nonce makes a proof good once, for the link it was sent to; the server's address stops a
/// proof made for one server being played to another; the link's path and the ids stop a proof
/// being reused for other ids or for someone else's link. The signature is ECDSA or RSA (PKCS#1
/// v1.5) over SHA-256, by the BCL, as the certificate's key type says.
/// </summary>
public static class NodeIdentity
{
    /// <summary>The nonce's length, in bytes.</summary>
    public const int NonceLength = 32;

    private static readonly byte[] Label = Encoding.ASCII.GetBytes("fedactors node hello v1\0");

    /// <summary>A fresh nonce from the system's cryptographic generator.</summary>
    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(NonceLength);

    /// <summary>What a node signs; each field length-prefixed, the ids in ordinal order.</summary>
    public static byte[] SignedBytes(ReadOnlySpan<byte> nonce, Address server, string linkPath, IEnumerable<ClientId> clients)
    {
        var buffer = new MemoryStream();
        buffer.Write(Label);
        Field(buffer, nonce);
        Field(buffer, Encoding.UTF8.GetBytes(server.ToString()));
        Field(buffer, Encoding.UTF8.GetBytes(linkPath));
        foreach (var id in clients.Select(c => c.Value).Order(StringComparer.Ordinal))
        {
            Field(buffer, Encoding.UTF8.GetBytes(id));
        }

        return buffer.ToArray();
    }

    /// <summary>The proof a node with <paramref name="certificate"/> sends in answer to <paramref name="nonce"/>.</summary>
    /// <param name="certificate">The node's certificate, with its private key.</param>
    /// <param name="nonce">The server's challenge.</param>
    /// <param name="server">The server's address the node dialled.</param>
    /// <param name="linkPath">The link's path with the node's own address, as the server sees it.</param>
    /// <param name="clients">The ids the node claims.</param>
    public static NodeProof Prove(X509Certificate2 certificate, ReadOnlyMemory<byte> nonce, Address server, string linkPath, IEnumerable<ClientId> clients)
    {
        var data = SignedBytes(nonce.Span, server, linkPath, clients);
        byte[] signature;
        using (var ec = certificate.GetECDsaPrivateKey())
        {
            if (ec is not null)
            {
                signature = ec.SignData(data, HashAlgorithmName.SHA256);
                return new NodeProof(certificate.RawData, nonce, signature);
            }
        }

        using var rsa = certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException($"the certificate {certificate.Subject} has no ECDSA or RSA private key to sign with");
        signature = rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new NodeProof(certificate.RawData, nonce, signature);
    }

    /// <summary>
    /// Why <paramref name="hello"/>'s proof does not establish the node's identity, or null when it
    /// does, with the certificate in <paramref name="certificate"/>: it must answer
    /// <paramref name="nonce"/>, its certificate must pass <paramref name="trust"/>, name every id
    /// the hello claims, and its key must have signed this hello for <paramref name="server"/>.
    /// </summary>
    public static string? Refusal(NodeHello hello, ReadOnlySpan<byte> nonce, Address server, FederationTrust trust, out X509Certificate2? certificate)
    {
        certificate = null;
        if (hello.Proof is not { } proof)
        {
            return "its hello carries no identity proof";
        }

        if (!proof.Nonce.Span.SequenceEqual(nonce))
        {
            return "its proof answers another nonce than the one the server sent to its link";
        }

        try
        {
            certificate = X509CertificateLoader.LoadCertificate(proof.Certificate.Span);
        }
        catch (CryptographicException e)
        {
            return $"the certificate in its proof does not load ({e.Message})";
        }

        if (trust.Refusal(certificate) is { } refusal)
        {
            return refusal;
        }

        var named = FederationCertificates.ClientIds(certificate);
        var unnamed = hello.Clients.Where(id => !named.Contains(id)).ToList();
        if (unnamed.Count > 0)
        {
            return $"its certificate {certificate.Subject} does not name client ids {string.Join(", ", unnamed)} (it names {(named.Count == 0 ? "none" : string.Join(", ", named.Order()))})";
        }

        var data = SignedBytes(nonce, server, hello.Link.Path.ToStringWithAddress(), hello.Clients);
        var verified = false;
        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                verified = ec.VerifyData(data, proof.Signature.Span, HashAlgorithmName.SHA256);
            }
            else
            {
                using var rsa = certificate.GetRSAPublicKey();
                verified = rsa?.VerifyData(data, proof.Signature.Span, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) ?? false;
            }
        }

        return verified ? null : $"its signature does not verify with the key of its certificate {certificate.Subject} for this server, link and ids";
    }

    private static void Field(MemoryStream buffer, ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        buffer.Write(length);
        buffer.Write(bytes);
    }
}
