using Akka.Actor;
using FedActors.Core.Protocol;

namespace FedActors.Core.Server;

/// <summary>
/// The coordinator's view of its clients: which actor speaks for each id now, and which nodes
/// a transport layer reported unreachable. Clients are known by their <see cref="ClientId"/>;
/// an actor reference is only how to reach one now, and the newest registration wins. A
/// client's node is its actor's address, unless the registration named another: a transport
/// layer's local stand-in for a remote client lives here but speaks for a client on that node.
/// </summary>
internal sealed class ClientRegistry
{
    private readonly Dictionary<ClientId, IActorRef> _actors;
    private readonly OrderedClientIds _ordered = new();
    private readonly Dictionary<IActorRef, ClientId> _ids;

    // Only the clients whose node is not their actor's own address (a transport layer's stand-ins):
    // a simulation's million clients keep no entry here.
    private readonly Dictionary<ClientId, Address> _nodes = [];
    private readonly HashSet<Address> _unreachable = [];

    /// <summary>Creates an empty registry with room for <paramref name="expected"/> clients.</summary>
    /// <remarks>
    /// Sized up front because a dictionary that grows to a million entries reallocates its arrays on
    /// the large object heap a dozen times, and each of those can start a full collection of a heap
    /// that by then holds every client.
    /// </remarks>
    public ClientRegistry(int expected = 0)
    {
        _actors = new Dictionary<ClientId, IActorRef>(expected);
        _ids = new Dictionary<IActorRef, ClientId>(expected);
    }

    /// <summary>Registered clients, reachable or not.</summary>
    public int Count => _actors.Count;

    /// <summary>
    /// Registered clients on reachable nodes, in id order: the ones a round may sample. With every
    /// node reachable it is the registry's own ordered list (read it before the registry changes),
    /// which <see cref="ClientSampler"/> samples by index.
    /// </summary>
    public IEnumerable<ClientId> Reachable => _unreachable.Count == 0
        ? _ordered
        : _ordered.Where(id => !_unreachable.Contains(NodeOf(id)));

    /// <summary>How many clients a round could sample now.</summary>
    public int ReachableCount => _unreachable.Count == 0 ? _actors.Count : Reachable.Count();

    /// <summary>The actor that speaks for <paramref name="client"/>.</summary>
    public IActorRef ActorOf(ClientId client) => _actors[client];

    /// <summary>Records that <paramref name="actor"/> speaks for <paramref name="client"/>, on <paramref name="node"/> (the actor's own address when null); returns the actor it replaces, if another.</summary>
    public IActorRef? Register(ClientId client, IActorRef actor, Address? node = null)
    {
        if (node is null || node.Equals(actor.Path.Address))
        {
            _nodes.Remove(client);
        }
        else
        {
            _nodes[client] = node;
        }

        IActorRef? replaced = null;
        if (_actors.TryGetValue(client, out var previous))
        {
            if (previous.Equals(actor))
            {
                return null;
            }

            _ids.Remove(previous);
            replaced = previous;
        }
        else
        {
            _ordered.Add(client);
        }

        // An actor that registered under another id before gives that id up.
        if (_ids.Remove(actor, out var earlierId))
        {
            _actors.Remove(earlierId);
            _ordered.Remove(earlierId);
            _nodes.Remove(earlierId);
        }

        _actors[client] = actor;
        _ids[actor] = client;
        return replaced;
    }

    /// <summary>Forgets a stopped actor; returns the id it spoke for, if it still did.</summary>
    public ClientId? Unregister(IActorRef actor)
    {
        if (!_ids.Remove(actor, out var client))
        {
            return null;
        }

        _actors.Remove(client);
        _ordered.Remove(client);
        _nodes.Remove(client);
        return client;
    }

    /// <summary>True when <paramref name="sender"/> is the actor registered under <paramref name="client"/>: a reply counts only then.</summary>
    public bool IsFrom(ClientId client, IActorRef sender) => _actors.TryGetValue(client, out var actor) && actor.Equals(sender);

    /// <summary>Marks a node unreachable; returns its registered clients.</summary>
    public IReadOnlyList<ClientId> MarkUnreachable(Address node)
    {
        _unreachable.Add(node);
        return [.. _actors.Keys.Where(id => NodeOf(id).Equals(node)).Order()];
    }

    /// <summary>Marks a node reachable again.</summary>
    public void MarkReachable(Address node) => _unreachable.Remove(node);

    private Address NodeOf(ClientId client) => _nodes.TryGetValue(client, out var node) ? node : _actors[client].Path.Address;
}
