using Akka.Actor;
using Akka.Event;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Cluster.Server;

/// <summary>
/// The server's stand-in for one client on a client node: what the coordinator registers, watches
/// and sends requests to. Requests leave through the node's <see cref="NodeOutbox"/>, which sends a
/// round's model to the node once for all its clients; the client's messages come
/// in through the gateway and go on to the coordinator from here. A stand-in, not the remote
/// actor, because the coordinator's death watch on a remote actor would quarantine its node for
/// good when the node is cut off, and a node that comes back must be able to take part again.
/// </summary>
internal sealed class RemoteClient : ReceiveActor
{
    private readonly ClientId _id;
    private readonly Address _node;
    private readonly IActorRef _outbox;
    private readonly IActorRef _coordinator;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private (RoundNumber Round, int Attempt, string Phase)? _pending;

    public RemoteClient(ClientId id, Address node, IActorRef outbox, IActorRef coordinator)
    {
        _id = id;
        _node = node;
        _outbox = outbox;
        _coordinator = coordinator;

        Receive<Delivered>(m => FromClient(m.Message));
        Receive<TransferFailed>(m => Lost($"its reply from node {_node}", m.Reason));
        Receive<RequestFailed>(m => Lost($"its request on node {_node}", m.Reason));
        Receive<IFedActorsMessage>(ToClient);
    }

    /// <summary>Props for the stand-in of <paramref name="id"/>; <paramref name="outbox"/> is its node's, shared by the node's stand-ins.</summary>
    public static Props Props(ClientId id, Address node, IActorRef outbox, IActorRef coordinator) =>
        Akka.Actor.Props.Create(() => new RemoteClient(id, node, outbox, coordinator));

    private void FromClient(IFedActorsMessage message)
    {
        switch (message)
        {
            case RegisterClient m when m.Client == _id:
                _coordinator.Tell(new RegisterClientOnNode(_id, _node));
                break;
            case IPhaseReply reply:
                if (_pending is { } p && p.Round == reply.Round && p.Attempt == reply.Attempt)
                {
                    _pending = null;
                }

                _coordinator.Tell(reply);
                break;
            default:
                _log.Warning("Client {Client} on node {Node} sent a {Message} the server does not expect from a client; ignored", _id, _node, message.GetType().Name);
                break;
        }
    }

    private void ToClient(IFedActorsMessage message)
    {
        _pending = message switch
        {
            FitRequest r => (r.Round, r.Attempt, RoundCoordinator.FitPhase),
            EvaluateRequest r => (r.Round, r.Attempt, RoundCoordinator.EvaluatePhase),
            _ => _pending,
        };
        _outbox.Tell(new OutboundRequest(_id, message));
    }

    // The client's reply, or the request it answers, is lost: its phase need not wait for its deadline.
    private void Lost(string what, string reason)
    {
        if (_pending is not { } p)
        {
            _log.Error("Client {Client} on node {Node}: {What} was lost on the way ({Reason})", _id, _node, what, reason);
            return;
        }

        _pending = null;
        _coordinator.Tell(new ClientFailed(_id, p.Round, p.Attempt, p.Phase, $"{what} was lost on the way: {reason}", Cancelled: false));
    }
}

/// <summary>A whole message from the client, reassembled by the gateway.</summary>
internal sealed record Delivered(IFedActorsMessage Message) : INoSerializationVerificationNeeded;

/// <summary>A message from the client could not be reassembled or read.</summary>
internal sealed record TransferFailed(string Reason) : INoSerializationVerificationNeeded;

/// <summary>The client's node could not build the request last sent to it (<see cref="Protocol.RequestLost"/>).</summary>
internal sealed record RequestFailed(string Reason) : INoSerializationVerificationNeeded;
