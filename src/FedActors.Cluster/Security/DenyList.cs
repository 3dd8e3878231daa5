using System.Security.Cryptography.X509Certificates;

namespace FedActors.Cluster.Security;

/// <summary>
/// The server's revoked certificates (<c>fedactors.cluster.tls.deny-list</c>): a text file with one
/// certificate serial number or SHA-256 thumbprint per line, in hex (colons and spaces ignored,
/// any case), and comments after <c>#</c>. The file is read again whenever its write time or
/// length changes, checked at each use (each TLS handshake and each hello), so that revoking a
/// node takes effect without a restart. A file that becomes unreadable keeps the last list it had
/// rather than letting every node back in or locking every node out, and that is logged by the caller.
/// </summary>
internal sealed class DenyList
{
    private readonly string _path;
    private readonly object _lock = new();
    private (DateTime Written, long Length) _version = (DateTime.MinValue, -1);
    private HashSet<string> _entries = [];

    public DenyList(string path)
    {
        _path = path;
        Refresh();
    }

    /// <summary>The file's problem at the last read, if it could not be read; null otherwise.</summary>
    public string? LastError { get; private set; }

    /// <summary>Which entry revokes <paramref name="certificate"/> ("serial ..." or "thumbprint ..."), or null when none does.</summary>
    public string? Revokes(X509Certificate2 certificate)
    {
        lock (_lock)
        {
            Refresh();
            var serial = certificate.SerialNumber.ToUpperInvariant().TrimStart('0');
            var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256).ToUpperInvariant();
            return _entries.Contains(thumbprint) ? $"thumbprint {thumbprint}"
                : _entries.Contains(serial) ? $"serial {certificate.SerialNumber}"
                : null;
        }
    }

    private void Refresh()
    {
        try
        {
            var info = new FileInfo(_path);
            var version = (info.LastWriteTimeUtc, info.Length);
            if (version == _version)
            {
                return;
            }

            _entries = [.. File.ReadAllLines(_path).Select(Normalise).Where(e => e.Length > 0)];
            _version = version;
            LastError = null;
        }
        catch (IOException e)
        {
            LastError = $"'{_path}' could not be read ({e.Message}); the last list read is kept";
        }
        catch (UnauthorizedAccessException e)
        {
            LastError = $"'{_path}' could not be read ({e.Message}); the last list read is kept";
        }
    }

    private static string Normalise(string line)
    {
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        var value = (hash >= 0 ? line[..hash] : line).Replace(":", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal).Trim().ToUpperInvariant();

        // A serial may be written with leading zeros; a 64-digit thumbprint is kept whole.
        return value.Length == 64 ? value : value.TrimStart('0');
    }
}
