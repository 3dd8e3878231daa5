using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Cluster.Protocol;

// Messages between a client node's ServerLink and the server's ClientGateway. A client node
// reaches the gateway only through Akka's ClusterClient and the server's receptionist; the
// server answers straight to the node's link, over the connection the node opened.

/// <summary>
/// A client node's handshake, repeated until answered: its wire version, where the server should
/// send its clients' messages, the clients it hosts and the model layout its trainers expect.
/// The wire version and the link come first and keep their layout in every version, so that a
/// server of another version can still name the node and refuse it.
/// </summary>
/// <param name="WireVersion">The node's <see cref="Core.Serialization.ProtocolSerializer.WireVersion"/>.</param>
/// <param name="Link">The node's <c>ServerLink</c>.</param>
/// <param name="Clients">The ids of the clients the node hosts.</param>
/// <param name="Layout">The parameter layout of the node's model; null when the hello is of another wire version and was not read further.</param>
/// <param name="Proof">The node's answer to the server's <see cref="NodeChallenge"/>; null before it has one, and when TLS is off.</param>
public sealed record NodeHello(int WireVersion, IActorRef Link, ImmutableArray<ClientId> Clients, ParameterLayout? Layout, NodeProof? Proof = null) : INodeMessage;

/// <summary>
/// The server's answer to a hello without a valid proof, when identity proofs are on: a fresh
/// random nonce, sent to the hello's link, for the node to sign (see <c>Security.NodeIdentity</c>).
/// </summary>
/// <param name="Nonce">32 random bytes, good for one proof from that link.</param>
public sealed record NodeChallenge(ReadOnlyMemory<byte> Nonce) : INodeMessage;

/// <summary>A node's proof that it holds the key of a certificate naming its client ids.</summary>
/// <param name="Certificate">The node's certificate, DER.</param>
/// <param name="Nonce">The server's nonce it answers.</param>
/// <param name="Signature">The certificate key's signature of <c>NodeIdentity.SignedBytes</c>.</param>
public sealed record NodeProof(ReadOnlyMemory<byte> Certificate, ReadOnlyMemory<byte> Nonce, ReadOnlyMemory<byte> Signature);

/// <summary>
/// The server accepts a node: its clients' registrations follow. When the server has a bulk
/// channel (<c>Transfers.BulkListener</c>), the welcome names its port on the server's host and a
/// token, good for this node only, that the node shows when it dials it.
/// </summary>
/// <param name="BulkPort">The server's bulk port; 0 for none (model bytes then go in chunks on this connection).</param>
/// <param name="BulkToken">The node's token for it; empty for none.</param>
public sealed record NodeWelcome(int BulkPort, ReadOnlyMemory<byte> BulkToken) : INodeMessage
{
    /// <summary>A welcome without a bulk channel.</summary>
    public static readonly NodeWelcome Instance = new(0, ReadOnlyMemory<byte>.Empty);
}

/// <summary>
/// The server refuses a node, or some of its clients, and says why (another wire version, another
/// model, a client id that a live node already holds). Its layout is the same in every wire version.
/// </summary>
/// <param name="Reason">What the operator has to fix, naming the node, the version or the ids.</param>
public sealed record NodeRefused(string Reason) : INodeMessage;

/// <summary>The server's run is over: the node's clients have nothing more to do.</summary>
/// <param name="Succeeded">True when every round completed.</param>
/// <param name="Detail">The failure's reason, or a short summary.</param>
public sealed record RunEnded(bool Succeeded, string Detail) : INodeMessage;

/// <summary>
/// The server stopped the run before its end (its operator's SIGTERM or Ctrl-C), to be resumed
/// from its last checkpoint (<c>fedactors server --resume</c>): the node's clients have nothing more to do for now.
/// </summary>
/// <param name="Detail">After which round, why, and how the run resumes.</param>
public sealed record RunInterrupted(string Detail) : INodeMessage;

/// <summary>A client node leaves (its operator's SIGTERM or Ctrl-C): the server drops its clients at once, from the round in progress too.</summary>
/// <param name="Link">The node's <c>ServerLink</c>, as in its hello.</param>
public sealed record NodeLeaving(IActorRef Link) : INodeMessage;

/// <summary>The server has let a leaving node go.</summary>
public sealed record NodeLeft : INodeMessage
{
    /// <summary>The one instance.</summary>
    public static readonly NodeLeft Instance = new();
}

/// <summary>
/// One piece of a protocol message (a <see cref="IFedActorsMessage"/> serialized by the protocol's
/// serializer) to or from one client. Every message between the nodes travels as chunks, one
/// for a small message, so that no message is larger than a frame.
/// </summary>
/// <param name="Transfer">Identifies the message all the chunks belong to.</param>
/// <param name="Client">The client the message is from or for.</param>
/// <param name="Manifest">The protocol serializer's manifest of the whole message.</param>
/// <param name="Index">This chunk's position, from 0.</param>
/// <param name="Count">How many chunks the message has (at least 1).</param>
/// <param name="Checksum">The CRC-32 of <paramref name="Data"/>, computed by the sender.</param>
/// <param name="Data">This chunk's bytes of the serialized message.</param>
public sealed record Chunk(Guid Transfer, ClientId Client, string Manifest, int Index, int Count, uint Checksum, ReadOnlyMemory<byte> Data) : INodeMessage;

/// <summary>
/// One piece of a round's global model (<see cref="Core.Serialization.ProtocolSerializer.EncodeParameters"/>'s
/// bytes), sent to a client node once however many of its clients the model goes to; the node keeps
/// the whole model by its id for the <see cref="SharedRequest"/>s that name it.
/// </summary>
/// <param name="Model">The model's id, the same for every node and every client of its rounds.</param>
/// <param name="Index">This piece's position, from 0.</param>
/// <param name="Count">How many pieces the model has (at least 1).</param>
/// <param name="Checksum">The CRC-32 of <paramref name="Data"/>, computed by the sender.</param>
/// <param name="Data">This piece's bytes.</param>
public sealed record ModelChunk(Guid Model, int Index, int Count, uint Checksum, ReadOnlyMemory<byte> Data) : INodeMessage;

/// <summary>
/// A request to one client that carries a global model by reference: the request's serialized bytes
/// are <paramref name="Before"/>, the encoding of the model <paramref name="Model"/> (sent before as
/// <see cref="ModelChunk"/>s) and <paramref name="After"/>, the client's own small parts.
/// </summary>
/// <param name="Transfer">Identifies this request, for the logs.</param>
/// <param name="Client">The client the request is for.</param>
/// <param name="Manifest">The protocol serializer's manifest of the whole request.</param>
/// <param name="Model">The id of the model that goes between the two parts.</param>
/// <param name="Checksum">The CRC-32 of <paramref name="Before"/> followed by <paramref name="After"/>.</param>
/// <param name="Before">The request's bytes before the model.</param>
/// <param name="After">The request's bytes after the model.</param>
public sealed record SharedRequest(Guid Transfer, ClientId Client, string Manifest, Guid Model, uint Checksum, ReadOnlyMemory<byte> Before, ReadOnlyMemory<byte> After) : INodeMessage;

/// <summary>
/// A client node acknowledges the server's chunks (<see cref="Chunk"/>, <see cref="ModelChunk"/>,
/// <see cref="SharedRequest"/>): the server keeps only a bounded number unacknowledged on the
/// node's connection, so that a large model never queues far ahead of heartbeats.
/// </summary>
/// <param name="Node">One of the node's clients, by which the server knows the node (a ClusterClient's messages reach the gateway from the receptionist, not from the node).</param>
/// <param name="Count">How many the node received since its previous acknowledgement.</param>
public sealed record ChunksReceived(ClientId Node, int Count) : INodeMessage;

/// <summary>
/// A client node could not build a request to one of its clients (the model it names was corrupted,
/// truncated or is no longer held): that client's update is lost for its round, and the server sends
/// the model again with the next request that carries it.
/// </summary>
/// <param name="Client">The client whose request is lost.</param>
/// <param name="Model">The model the request named.</param>
/// <param name="Reason">What went wrong, naming the model and the chunk.</param>
public sealed record RequestLost(ClientId Client, Guid Model, string Reason) : INodeMessage;
