using Akka.Actor;
using Akka.Event;
using Akka.Remote.Transport;
using Google.Protobuf;

namespace FedActors.Cluster.Security;

/// <summary>
/// Akka.Remote transport adapter that puts <see cref="InboundPolicy"/> in front of a server node:
/// every inbound protocol frame is checked before Akka decodes it, and a refused one is dropped
/// and logged with the node it came from. Configured on server nodes as
/// <c>akka.remote.dot-netty.tcp.applied-adapters</c> (NodeConfig). It is scheme-transparent, so
/// addresses stay <c>akka.tcp://...</c>.
/// <para>
/// Server nodes that peer with each other (failover, <c>fedactors.cluster.server.peers</c>) are
/// members: a connection whose handshake (its first frame) names one of the peers' addresses is let
/// through whole.
/// That address is what the other node claims, not a proof: until nodes prove who they are
/// (mutual TLS), a node that can claim a peer's address can act as a member, so server nodes'
/// ports belong on a network client nodes cannot claim addresses on. Without peers, every
/// remote node is a client node and every frame is checked.
/// </para>
/// </summary>
internal sealed class InboundGate : Akka.Remote.Transport.Transport
{
    private readonly Akka.Remote.Transport.Transport _wrapped;
    private readonly ILoggingAdapter _log;

    // The server peers' addresses as a handshake names them: system@host:port.
    private readonly HashSet<string> _peers;

    public InboundGate(Akka.Remote.Transport.Transport wrapped, ExtendedActorSystem system)
    {
        _wrapped = wrapped;
        System = system;
        Config = wrapped.Config;
        _log = Logging.GetLogger(system, "fedactors.inbound-gate");
        _peers = [.. system.Settings.Config.GetStringList("fedactors.cluster.server.peers", [])
            .Select(p => Address.TryParse(p, out var a) ? $"{a.System}@{a.Host}:{a.Port}" : string.Empty)
            .Where(p => p.Length > 0)];
    }

    /// <inheritdoc />
    public override string SchemeIdentifier
    {
        get => _wrapped.SchemeIdentifier;
        protected set { }
    }

    /// <inheritdoc />
    public override long MaximumPayloadBytes
    {
        get => _wrapped.MaximumPayloadBytes;
        protected set { }
    }

    /// <inheritdoc />
    public override async Task<(Address, TaskCompletionSource<IAssociationEventListener>)> Listen()
    {
        var (address, wrappedListener) = await _wrapped.Listen().ConfigureAwait(false);

        // Whoever listens on us hands its listener to this source; the wrapped transport gets ours in front of it.
        var upstream = new TaskCompletionSource<IAssociationEventListener>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = upstream.Task.ContinueWith(
            t => wrappedListener.TrySetResult(new GatedListener(t.Result, this)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
        return (address, upstream);
    }

    /// <inheritdoc />
    public override bool IsResponsibleFor(Address remote) => _wrapped.IsResponsibleFor(remote);

    /// <inheritdoc />
    public override async Task<AssociationHandle> Associate(Address remoteAddress) =>
        new GatedHandle(await _wrapped.Associate(remoteAddress).ConfigureAwait(false), this);

    /// <inheritdoc />
    public override Task<bool> Shutdown() => _wrapped.Shutdown();

    /// <inheritdoc />
    public override Task<bool> ManagementCommand(object message) => _wrapped.ManagementCommand(message);

    /// <summary>True when the frame may go on; logs the refusal otherwise.</summary>
    internal bool Admits(ByteString frame, Address from)
    {
        if (InboundPolicy.Refusal(frame) is not { } why)
        {
            return true;
        }

        _log.Warning("Dropped {Why} from {From}, which is not a member of the server's cluster", why, from);
        return false;
    }

    private sealed class GatedListener(IAssociationEventListener upstream, InboundGate gate) : IAssociationEventListener
    {
        public void Notify(IAssociationEvent ev) =>
            upstream.Notify(ev is InboundAssociation inbound ? new InboundAssociation(new GatedHandle(inbound.Association, gate)) : ev);
    }

    private sealed class GatedHandle : AssociationHandle
    {
        private readonly AssociationHandle _wrapped;

        public GatedHandle(AssociationHandle wrapped, InboundGate gate)
            : base(wrapped.LocalAddress, wrapped.RemoteAddress)
        {
            _wrapped = wrapped;
            _ = ReadHandlerSource.Task.ContinueWith(
                t => wrapped.ReadHandlerSource.TrySetResult(new GatedReader(t.Result, gate, wrapped.RemoteAddress)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion,
                TaskScheduler.Default);
        }

        public override bool Write(ByteString payload) => _wrapped.Write(payload);

#pragma warning disable CS0672 // The obsolete overload is the one a handle must implement.
        public override void Disassociate()
#pragma warning restore CS0672
        {
#pragma warning disable CS0618
            _wrapped.Disassociate();
#pragma warning restore CS0618
        }
    }

    /// <summary>True when <paramref name="frame"/> is a handshake from one of the server peers.</summary>
    internal bool IsPeerHandshake(ByteString frame) => _peers.Count > 0 && InboundPolicy.HandshakeOrigin(frame) is { } origin && _peers.Contains(origin);

    /// <summary>
    /// One connection's frames on their way to Akka.Remote. Whether the connection is a server
    /// peer's is decided once, by its first frame: Akka.Remote requires that to be the handshake
    /// (an inbound association that opens with anything else is disassociated), so a peer loses
    /// nothing, while a handshake-shaped frame later on (which Akka ignores on an open association)
    /// decides nothing: a client node cannot open the gate by naming a peer's address mid-connection.
    /// DotNetty delivers one connection's reads in order, one at a time.
    /// </summary>
    internal sealed class GatedReader(IHandleEventListener upstream, InboundGate gate, Address from) : IHandleEventListener
    {
        private bool _decided;
        private bool _peer;

        public void Notify(IHandleEvent ev)
        {
            if (ev is not InboundPayload payload)
            {
                upstream.Notify(ev);
                return;
            }

            if (!_decided)
            {
                _decided = true;
                _peer = gate.IsPeerHandshake(payload.Payload);
            }

            if (_peer || gate.Admits(payload.Payload, from))
            {
                upstream.Notify(ev);
            }
        }
    }
}

/// <summary>Creates the <see cref="InboundGate"/>; named in <c>akka.remote.adapters</c>.</summary>
public sealed class InboundGateProvider : ITransportAdapterProvider
{
    /// <inheritdoc />
    public Akka.Remote.Transport.Transport Create(Akka.Remote.Transport.Transport wrappedTransport, ExtendedActorSystem system) =>
        new InboundGate(wrappedTransport, system);
}
