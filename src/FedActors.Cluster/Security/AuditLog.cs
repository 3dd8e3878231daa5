using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Security;

/// <summary>
/// The server's append-only audit log (<c>fedactors.cluster.audit-log</c>): one JSON object per
/// line, written and flushed as it happens, for every TLS handshake, join, refusal and revocation
/// hit: <c>{"time":"...Z","event":"...","node":"...","subject":"...","thumbprint":"...",
/// "clients":[...],"decision":"accepted|refused","reason":"..."}</c>. The file is opened for
/// appending only, so nothing written is ever rewritten; TLS callbacks (on the transport's threads)
/// and the gateway (on its actor's) write to it, so writes are serialised by a lock.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly object _lock = new();
    private readonly FileStream _stream;

    /// <summary>Opens <paramref name="path"/> for appending, creating it (and its folder) if needed.</summary>
    public AuditLog(string path)
    {
        Path = path;
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        _stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
    }

    /// <summary>The file written.</summary>
    public string Path { get; }

    /// <summary>Appends one entry.</summary>
    /// <param name="event">What happened: tls-handshake, join, refused, revoked.</param>
    /// <param name="node">The node's address (or the TCP peer, during a handshake).</param>
    /// <param name="certificate">The node's certificate, when it showed one.</param>
    /// <param name="clients">The client ids the node claimed.</param>
    /// <param name="accepted">The decision.</param>
    /// <param name="reason">Why, for a refusal; what, for an acceptance.</param>
    public void Write(string @event, string node, X509Certificate2? certificate, IEnumerable<ClientId> clients, bool accepted, string reason)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("event", @event);
            w.WriteString("node", node);
            w.WriteString("subject", certificate?.Subject);
            w.WriteString("thumbprint", certificate?.GetCertHashString(HashAlgorithmName.SHA256));
            w.WriteString("serial", certificate?.SerialNumber);
            w.WriteStartArray("clients");
            foreach (var id in clients)
            {
                w.WriteStringValue(id.Value);
            }

            w.WriteEndArray();
            w.WriteString("decision", accepted ? "accepted" : "refused");
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        lock (_lock)
        {
            if (!_stream.CanWrite)
            {
                // Disposed with its node; a late TLS handshake on a closing transport is not recorded.
                return;
            }

            _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            _stream.Flush(flushToDisk: false);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _stream.Dispose();
        }
    }
}
