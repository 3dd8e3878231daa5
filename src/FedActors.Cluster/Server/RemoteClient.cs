using Akka.Actor;
using Akka.Event;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Cluster.Server;

/// <summary>
/// The server's stand-in for one client on a client node: what the coordinator registers, watches
/// and sends requests to. Requests leave as chunks to the node's link; the client's messages come
/// in through the gateway and go on to the coordinator from here. A stand-in, not the remote
/// actor, because the coordinator's death watch on a remote actor would quarantine its node for
/// good when the node is cut off, and a node that comes back must be able to take part again.
/// </summary>
internal sealed class RemoteClient : ReceiveActor
{
    private readonly ClientId _id;
    private readonly Address _node;
    private readonly IActorRef _link;
    private readonly IActorRef _coordinator;
    private readonly int _chunkSize;
    private readonly SharedModels _models;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private (RoundNumber Round, int Attempt, string Phase)? _pending;

    public RemoteClient(ClientId id, Address node, IActorRef link, IActorRef coordinator, int chunkSize, SharedModels models)
    {
        _models = models;
        _id = id;
        _node = node;
        _link = link;
        _coordinator = coordinator;
        _chunkSize = chunkSize;

        Receive<Delivered>(m => FromClient(m.Message));
        Receive<TransferFailed>(m => OnBrokenTransfer(m.Reason));
        Receive<IFedActorsMessage>(ToClient);
    }

    /// <summary>Props for the stand-in of <paramref name="id"/>; <paramref name="models"/> is the gateway's, shared by all its stand-ins.</summary>
    public static Props Props(ClientId id, Address node, IActorRef link, IActorRef coordinator, int chunkSize, SharedModels models) =>
        Akka.Actor.Props.Create(() => new RemoteClient(id, node, link, coordinator, chunkSize, models));

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
        // The round's global model is encoded once, for all the clients it goes to.
        foreach (var chunk in Chunking.SplitRequest(Context.System, _id, message, _chunkSize, _models))
        {
            _link.Tell(chunk);
        }
    }

    // The client's reply is lost: its phase need not wait for its deadline.
    private void OnBrokenTransfer(string reason)
    {
        if (_pending is not { } p)
        {
            _log.Error("Client {Client} on node {Node}: a message from it was lost on the way ({Reason})", _id, _node, reason);
            return;
        }

        _pending = null;
        _coordinator.Tell(new ClientFailed(_id, p.Round, p.Attempt, p.Phase, $"its reply from node {_node} was lost on the way: {reason}", Cancelled: false));
    }
}

/// <summary>A whole message from the client, reassembled by the gateway.</summary>
internal sealed record Delivered(IFedActorsMessage Message) : INoSerializationVerificationNeeded;

/// <summary>A message from the client could not be reassembled or read.</summary>
internal sealed record TransferFailed(string Reason) : INoSerializationVerificationNeeded;
