using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using Akka.Actor;
using Akka.Event;
using FedActors.Cluster.Security;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// The server's end of the bulk channel (<see cref="BulkConnection"/>): a TCP port beside
/// Akka.Remote's, on the same host, that admits only welcomed nodes. The gateway gives each node it
/// welcomes a fresh random token (<see cref="Admit"/>) over the Akka connection, where the node
/// proved who it is; a connection is used only once it has shown a token the gateway gave, and
/// with TLS on, only over mutual TLS with a certificate of the federation CA whose thumbprint is
/// the one the node proved its client ids with. Anything else is closed, logged and audited,
/// after at most <see cref="HandshakeTimeout"/> and a few dozen bytes read.
/// </summary>
internal sealed class BulkListener : IDisposable
{
    /// <summary>How long a new connection may take to do TLS and show its token.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    // Connections still in their handshake; more are closed at once, so strangers cannot hold the server's sockets.
    private const int MaxHandshakes = 64;

    private readonly TcpListener _listener;
    private readonly TlsSettings _tls;
    private readonly FederationTrust? _trust;
    private readonly long _maxPayload;
    private readonly ILoggingAdapter _log;
    private readonly AuditLog? _audit;
    private readonly Action<BulkAdmission, BulkConnection> _opened;
    private readonly ConcurrentDictionary<string, BulkAdmission> _tokens = new();
    private readonly ConcurrentDictionary<Address, string> _tokenOf = new();
    private readonly CancellationTokenSource _stop = new();
    private int _handshakes;

    /// <summary>Listens on <paramref name="host"/>:<paramref name="port"/> (0: a free port).</summary>
    /// <exception cref="SocketException">The port cannot be bound (taken, or not this machine's address).</exception>
    public BulkListener(string host, int port, TlsSettings tls, FederationTrust? trust, long maxPayload, ILoggingAdapter log, AuditLog? audit, Action<BulkAdmission, BulkConnection> opened)
    {
        if (tls.Enabled && trust is null)
        {
            // Else the bulk channel would run in plaintext beside a TLS cluster connection.
            throw new ArgumentException("with TLS on, the bulk listener needs the federation's trust", nameof(trust));
        }

        _audit = audit;
        _tls = tls;
        _trust = trust;
        _maxPayload = maxPayload;
        _log = log;
        _opened = opened;
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        _listener = new TcpListener(address, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The port it listens on, which welcomes name.</summary>
    public int Port { get; }

    /// <summary>A new token for <paramref name="node"/>, replacing the one it had; <paramref name="thumbprint"/> is the SHA-256 of the certificate it proved its ids with (null with TLS off).</summary>
    public byte[] Admit(Address node, string? thumbprint)
    {
        Revoke(node);
        var token = RandomNumberGenerator.GetBytes(BulkConnection.TokenLength);
        var key = Convert.ToHexString(token);
        _tokens[key] = new BulkAdmission(node, thumbprint, token);
        _tokenOf[node] = key;
        return token;
    }

    /// <summary>The node's token no longer opens a connection (it left, or was replaced).</summary>
    public void Revoke(Address node)
    {
        if (_tokenOf.TryRemove(node, out var key))
        {
            _tokens.TryRemove(key, out _);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Interlocked.Increment(ref _handshakes) > MaxHandshakes)
            {
                Interlocked.Decrement(ref _handshakes);
                _log.Warning("Bulk channel: closed a connection from {Peer}: {Max} others are still in their handshake", client.Client.RemoteEndPoint, MaxHandshakes);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => HandshakeAsync(client));
        }
    }

    private async Task HandshakeAsync(TcpClient client)
    {
        var peer = client.Client.RemoteEndPoint?.ToString() ?? "an unknown address";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        deadline.CancelAfter(HandshakeTimeout);
        try
        {
            client.NoDelay = true;
            Stream stream = client.GetStream();
            string? thumbprint = null;
            if (_tls.Enabled && _tls.Certificate is { } certificate && _trust is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsServerAsync(
                    new SslServerAuthenticationOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateRequired = true,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && _trust.Refusal(BulkConnection.AsCertificate2(presented)) is null,
                    },
                    deadline.Token).ConfigureAwait(false);
                thumbprint = BulkConnection.AsCertificate2(ssl.RemoteCertificate!).GetCertHashString(HashAlgorithmName.SHA256);
                stream = ssl;
            }

            var preface = new byte[BulkConnection.Magic.Length + 1 + BulkConnection.TokenLength];
            await stream.ReadExactlyAsync(preface, deadline.Token).ConfigureAwait(false);
            if (!preface.AsSpan(0, BulkConnection.Magic.Length).SequenceEqual(BulkConnection.Magic))
            {
                Refuse(client, peer, "it is not a FedActors bulk connection (its first bytes are not the bulk preface)");
                return;
            }

            var version = preface[BulkConnection.Magic.Length];
            if (version != Core.Serialization.ProtocolSerializer.WireVersion)
            {
                Refuse(client, peer, $"it speaks FedActors wire version {version}, this server {Core.Serialization.ProtocolSerializer.WireVersion}");
                return;
            }

            if (!_tokens.TryGetValue(Convert.ToHexString(preface.AsSpan(BulkConnection.Magic.Length + 1)), out var admission))
            {
                Refuse(client, peer, "its token is not one this server gave a welcomed node (a stranger, or a node welcomed again since)");
                return;
            }

            if (admission.Thumbprint is not null && admission.Thumbprint != thumbprint)
            {
                Refuse(client, peer, $"it shows node {admission.Node}'s token with another certificate than the one that node proved its ids with");
                return;
            }

            await stream.WriteAsync(new[] { BulkConnection.Accepted }, deadline.Token).ConfigureAwait(false);
            _opened(admission, new BulkConnection(stream, client, peer, _maxPayload));
        }
        catch (Exception e) when (e is IOException or SocketException or AuthenticationException or OperationCanceledException or ObjectDisposedException)
        {
            Refuse(client, peer, deadline.IsCancellationRequested && !_stop.IsCancellationRequested
                ? $"it did not finish its handshake within {HandshakeTimeout}"
                : $"its handshake failed: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A certificate that does not parse, say: refused like the rest, never left open.
            Refuse(client, peer, $"its handshake failed unexpectedly: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            Interlocked.Decrement(ref _handshakes);
        }
    }

    private void Refuse(TcpClient client, string peer, string why)
    {
        _log.Warning("Bulk channel: refused a connection from {Peer}: {Why}", peer, why);
        _audit?.Write("bulk-refused", peer, null, [], accepted: false, why);
        client.Dispose();
    }
}

/// <summary>What a bulk token admits: the connection of <paramref name="Node"/>, with the certificate of <paramref name="Thumbprint"/> when TLS is on.</summary>
internal sealed record BulkAdmission(Address Node, string? Thumbprint, byte[] Token);
