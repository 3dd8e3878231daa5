using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;

namespace FedActors.Cluster.Security;

/// <summary>
/// <c>fedactors.cluster.tls</c>: mutual TLS on Akka.Remote and node identity at registration, with
/// this node's certificate and the federation CA's loaded and checked once, at start-up, so that a
/// missing file, a wrong password or a certificate of another CA fails before the node starts,
/// naming the file and the key.
/// </summary>
/// <param name="Enabled">True when TLS and identity proofs are on.</param>
/// <param name="Certificate">This node's certificate with its private key; null when disabled.</param>
/// <param name="Ca">The federation CA's certificate (public part only); null when disabled.</param>
/// <param name="DenyListPath">The server's deny list file; empty for none.</param>
public sealed record TlsSettings(bool Enabled, X509Certificate2? Certificate, X509Certificate2? Ca, string DenyListPath)
{
    private const string T = "fedactors.cluster.tls.";

    /// <summary>TLS off: the default.</summary>
    public static readonly TlsSettings Disabled = new(false, null, null, string.Empty);

    /// <summary>Reads the keys from <paramref name="config"/> (defaults included) and loads the files they name.</summary>
    /// <exception cref="ConfigurationException">A file is missing or does not load, or the certificate is not the CA's; the message names the file and the key.</exception>
    public static TlsSettings Read(Config config)
    {
        if (!config.GetBoolean(T + "enabled", false))
        {
            return Disabled;
        }

        var caPath = RequiredFile(config, "ca");
        X509Certificate2 ca;
        try
        {
            ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException($"'{T}ca' is '{caPath}', which is not a certificate (PEM or DER, the ca.crt `fedactors certs ca` writes): {e.Message}");
        }

        var certificatePath = RequiredFile(config, "certificate");
        var password = Password(config);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password);
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException(
                $"'{T}certificate' is '{certificatePath}', which does not load as PKCS#12 with the password of {PasswordSource(config)}: a wrong password, or not a .pfx file ({e.Message})");
        }

        if (!certificate.HasPrivateKey)
        {
            throw new ConfigurationException($"'{T}certificate' is '{certificatePath}', which holds no private key: give the node's .pfx written by `fedactors certs`");
        }

        if (FederationTrust.ChainError(certificate, ca) is { } error)
        {
            throw new ConfigurationException($"'{T}certificate' ('{certificatePath}', {certificate.Subject}) is not valid under the federation CA of '{T}ca' ('{caPath}', {ca.Subject}): {error}");
        }

        var denyList = config.GetString(T + "deny-list", string.Empty) ?? string.Empty;
        if (denyList.Length > 0 && !File.Exists(denyList))
        {
            throw new ConfigurationException($"'{T}deny-list' is '{denyList}', which does not exist (create it empty to revoke nothing yet)");
        }

        return new TlsSettings(true, certificate, ca, denyList);
    }

    private static string RequiredFile(Config config, string key)
    {
        var path = config.GetString(T + key, string.Empty) ?? string.Empty;
        if (path.Length == 0)
        {
            throw new ConfigurationException($"'{T}enabled' is on but '{T}{key}' is not set: give the path of {(key == "ca" ? "the federation CA's ca.crt" : "this node's .pfx")} (`fedactors certs`)");
        }

        return File.Exists(path)
            ? path
            : throw new ConfigurationException($"'{T}{key}' is '{path}', which does not exist");
    }

    private static string? Password(Config config)
    {
        var file = config.GetString(T + "password-file", string.Empty) ?? string.Empty;
        var env = config.GetString(T + "password-env", string.Empty) ?? string.Empty;
        var literal = config.GetString(T + "password", string.Empty) ?? string.Empty;
        if ((file.Length > 0 ? 1 : 0) + (env.Length > 0 ? 1 : 0) + (literal.Length > 0 ? 1 : 0) > 1)
        {
            throw new ConfigurationException($"set one of '{T}password-file', '{T}password-env' and '{T}password', not several");
        }

        if (file.Length > 0)
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException($"'{T}password-file' is '{file}', which does not exist");
            }

            return File.ReadLines(file).FirstOrDefault() ?? string.Empty;
        }

        if (env.Length > 0)
        {
            return Environment.GetEnvironmentVariable(env)
                ?? throw new ConfigurationException($"'{T}password-env' names the environment variable {env}, which is not set");
        }

        return literal;
    }

    private static string PasswordSource(Config config) =>
        (config.GetString(T + "password-file", string.Empty) ?? string.Empty) is { Length: > 0 } file ? $"'{T}password-file' ('{file}')"
        : (config.GetString(T + "password-env", string.Empty) ?? string.Empty) is { Length: > 0 } env ? $"'{T}password-env' ({env})"
        : $"'{T}password'";
}
