using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using FedActors.Cluster.Security;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// One connection of the bulk channel: a TCP connection (in TLS when the federation's is on)
/// beside the Akka.Remote one, which a client node dials to the server's bulk port after its
/// welcome and which carries model-sized messages both ways as whole <see cref="BulkFrame"/>s.
/// <para>
/// Why a second connection: Akka.Remote's connection also carries heartbeats, so a model on it
/// has to be cut into 64 KiB chunks, each wrapped for ClusterClient and the receptionist, copied
/// and paced; that is 6-12x a plain socket for a 6.6 MB update (the <c>wire</c> benchmark). Here
/// a message is one write of its serialized bytes and one read into its buffer, and nothing
/// waits behind it but other bulk frames. The node still only dials out.
/// </para>
/// <para>
/// Frames go out in order through one writer loop and come in through one reader loop. When the
/// connection fails, the owner hears once (<see cref="BulkLoss"/>): the frames that never left
/// (to send another way), and the header of a frame that was cut in the middle (whose message is
/// lost). A frame written whole but lost with the connection is not known to either side; its
/// client's round deadline covers it.
/// </para>
/// </summary>
internal sealed class BulkConnection
{
    /// <summary>The first bytes a node sends after TLS: "FAB", the wire version, then its 32-byte token.</summary>
    public static ReadOnlySpan<byte> Magic => "FAB"u8;

    /// <summary>The length of the token the server gives a node in its welcome.</summary>
    public const int TokenLength = 32;

    /// <summary>The server's answer to a preface it accepts; it closes the connection otherwise.</summary>
    public const byte Accepted = 1;

    private const int PrefixBytes = 1 + 4;
    private const int PayloadPrefixBytes = 4 + 4;

    private readonly Stream _stream;
    private readonly IDisposable _socket;
    private readonly long _maxPayload;
    private readonly Channel<BulkFrame> _outgoing = Channel.CreateUnbounded<BulkFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private Action<BulkFrame> _received = _ => { };
    private Action<BulkLoss> _closed = _ => { };
    private BulkFrame? _writing;
    private BulkFrame? _reading;
    private int _ended;

    /// <param name="stream">The connection's stream, after TLS and the preface.</param>
    /// <param name="socket">What to dispose with it.</param>
    /// <param name="peer">The other end, for log lines.</param>
    /// <param name="maxPayload">The largest payload accepted from the other end.</param>
    public BulkConnection(Stream stream, IDisposable socket, string peer, long maxPayload)
    {
        _stream = stream;
        _socket = socket;
        Peer = peer;
        _maxPayload = maxPayload;
    }

    /// <summary>The other end, host:port.</summary>
    public string Peer { get; }

    /// <summary>
    /// Dials the server's bulk port, does TLS when <paramref name="tls"/> is on (this node's
    /// certificate; the server's must chain to the federation CA and name <paramref name="host"/>),
    /// sends the preface with <paramref name="token"/> and waits for the server's acceptance.
    /// </summary>
    /// <exception cref="IOException">The server did not answer, refused the token or closed the connection; the message says which.</exception>
    /// <exception cref="SocketException">The port cannot be reached.</exception>
    /// <exception cref="AuthenticationException">The TLS handshake failed.</exception>
    public static async Task<BulkConnection> DialAsync(string host, int port, ReadOnlyMemory<byte> token, TlsSettings tls, long maxPayload, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, deadline.Token).ConfigureAwait(false);
            Stream stream = client.GetStream();
            if (tls.Enabled && tls.Certificate is { } certificate && tls.Ca is { } ca)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        ClientCertificates = [certificate],
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        // The server's certificate: issued by the federation CA, for the host dialled (as FederationTrust.TlsValidator checks Akka's).
                        RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                            presented is not null && !errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)
                            && FederationTrust.ChainError(AsCertificate2(presented), ca) is null,
                    },
                    deadline.Token).ConfigureAwait(false);
                stream = ssl;
            }

            var preface = new byte[Magic.Length + 1 + TokenLength];
            Magic.CopyTo(preface);
            preface[Magic.Length] = Core.Serialization.ProtocolSerializer.WireVersion;
            token.Span.CopyTo(preface.AsSpan(Magic.Length + 1));
            await stream.WriteAsync(preface, deadline.Token).ConfigureAwait(false);
            var answer = new byte[1];
            if (await stream.ReadAsync(answer, deadline.Token).ConfigureAwait(false) != 1 || answer[0] != Accepted)
            {
                throw new IOException($"the server at {host}:{port} refused this node's bulk connection (an unknown or superseded token: its log says why)");
            }

            return new BulkConnection(stream, client, $"{host}:{port}", maxPayload);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            client.Dispose();
            throw new IOException($"the server's bulk port {host}:{port} did not answer within {timeout}");
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A certificate from SslStream's callback as an <see cref="X509Certificate2"/>.</summary>
    public static X509Certificate2 AsCertificate2(X509Certificate certificate) =>
        certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());

    /// <summary>
    /// Starts both loops: <paramref name="received"/> gets each frame in, on the reader's thread,
    /// and <paramref name="closed"/> the end, once. A received frame's payload is a rented buffer,
    /// good only until <paramref name="received"/> returns: read it there, or copy what is kept.
    /// </summary>
    public void Start(Action<BulkFrame> received, Action<BulkLoss> closed)
    {
        _received = received;
        _closed = closed;
        _ = Task.Run(ReadLoopAsync);
        _ = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues <paramref name="frame"/>; false when the connection has ended (send it another way).</summary>
    public bool TrySend(BulkFrame frame) => Volatile.Read(ref _ended) == 0 && _outgoing.Writer.TryWrite(frame);

    /// <summary>
    /// Queues <paramref name="message"/>, to or from <paramref name="client"/>, encoded by
    /// <paramref name="protocol"/> into a rented buffer that goes back once it is on the wire;
    /// <paramref name="origin"/> is what the sender resends another way if it never leaves.
    /// </summary>
    /// <returns>False when the connection has ended (send it another way).</returns>
    public bool TrySendMessage(Core.Serialization.ProtocolSerializer protocol, Core.Protocol.ClientId client, Core.Protocol.IFedActorsMessage message, object origin)
    {
        var pooled = protocol.ToPooled(message);
        if (TrySend(BulkFrame.Message(client, protocol.Manifest(message), Guid.NewGuid(), pooled.Memory) with { Origin = origin, Owner = pooled }))
        {
            return true;
        }

        pooled.Dispose();
        return false;
    }

    /// <summary>Ends the connection; its owner hears of it as for a failure.</summary>
    public void Close(string reason) => End(reason);

    private async Task WriteLoopAsync()
    {
        var prefix = new byte[PrefixBytes + BulkFrame.MaxHeaderBytes + PayloadPrefixBytes];
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                _writing = frame;
                var at = 0;
                prefix[at++] = (byte)frame.Kind;
                BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(at), frame.Header.Length);
                at += 4;
                frame.Header.CopyTo(prefix, at);
                at += frame.Header.Length;
                BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(at), frame.Payload.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(at + 4), Crc32.HashToUInt32(frame.Payload.Span));
                at += PayloadPrefixBytes;
                await _stream.WriteAsync(prefix.AsMemory(0, at), _stop.Token).ConfigureAwait(false);
                await _stream.WriteAsync(frame.Payload, _stop.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                _writing = null;
                frame.Owner?.Dispose();
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            End($"writing to {Peer} failed: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever else goes wrong, the owner hears of it and the connection does not linger half alive.
            End($"writing to {Peer} failed unexpectedly: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task ReadLoopAsync()
    {
        var prefix = new byte[PrefixBytes];
        var lengths = new byte[PayloadPrefixBytes];
        try
        {
            while (true)
            {
                if (await _stream.ReadAtLeastAsync(prefix.AsMemory(0, 1), 1, throwOnEndOfStream: false, _stop.Token).ConfigureAwait(false) == 0)
                {
                    End($"{Peer} closed the bulk connection");
                    return;
                }

                await _stream.ReadExactlyAsync(prefix.AsMemory(1), _stop.Token).ConfigureAwait(false);
                var kind = (BulkKind)prefix[0];
                var headerLength = BinaryPrimitives.ReadInt32LittleEndian(prefix.AsSpan(1));
                if (!Enum.IsDefined(kind) || headerLength is < 0 or > BulkFrame.MaxHeaderBytes)
                {
                    End($"{Peer} sent a frame of kind {prefix[0]} with a {headerLength}-byte header: not a FedActors bulk frame (at most {BulkFrame.MaxHeaderBytes} bytes of header), the connection is closed");
                    return;
                }

                var header = new byte[headerLength];
                await _stream.ReadExactlyAsync(header, _stop.Token).ConfigureAwait(false);
                await _stream.ReadExactlyAsync(lengths, _stop.Token).ConfigureAwait(false);
                var length = BinaryPrimitives.ReadInt32LittleEndian(lengths);
                var checksum = BinaryPrimitives.ReadUInt32LittleEndian(lengths.AsSpan(4));
                _reading = new BulkFrame(kind, header, ReadOnlyMemory<byte>.Empty);
                if (length < 0 || length > _maxPayload)
                {
                    End($"{Peer} sent {_reading.Describe()} of {length:N0} bytes, outside 0..{_maxPayload:N0} for this model: the connection is closed");
                    return;
                }

                // Rented: a model-sized array per message would land on the large object heap each time.
                var rented = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    var payload = rented.AsMemory(0, length);
                    await _stream.ReadExactlyAsync(payload, _stop.Token).ConfigureAwait(false);
                    _reading = null;
                    var crc = Crc32.HashToUInt32(payload.Span);
                    _received(new BulkFrame(kind, header, payload)
                    {
                        Damage = crc == checksum ? null : $"its CRC-32 is {crc:x8}, the sender's {checksum:x8}",
                    });
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or EndOfStreamException)
        {
            End($"reading from {Peer} failed: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A receiver that threw, say: the owner hears of it and the connection does not linger half alive.
            End($"reading from {Peer} failed unexpectedly: {e.GetType().Name}: {e.Message}");
        }
    }

    private void End(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        _stop.Cancel();
        var unsent = new List<BulkFrame>();
        if (_writing is { } writing)
        {
            // Partly written at most: the other side drops what it read of it.
            unsent.Add(writing);
        }

        while (_outgoing.Reader.TryRead(out var frame))
        {
            unsent.Add(frame);
        }

        // Their senders resend them from their origins: the payloads' buffers go back.
        foreach (var frame in unsent)
        {
            frame.Owner?.Dispose();
        }

        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // Closing a broken connection: nothing more to lose.
        }

        _socket.Dispose();
        _closed(new BulkLoss(reason, _reading, unsent));
    }
}

/// <summary>A bulk connection ended.</summary>
/// <param name="Reason">Why, naming the other end.</param>
/// <param name="Cut">The header of the frame being read when it ended (its message is lost); null between frames.</param>
/// <param name="Unsent">The frames queued, or being written, that the other side will not have whole, in order.</param>
internal sealed record BulkLoss(string Reason, BulkFrame? Cut, IReadOnlyList<BulkFrame> Unsent);
