using Akka.Actor;

namespace FedActors.Cluster.Transfers;

/// <summary>
/// Published on the server's event stream when a client node's bulk connection opens or ends:
/// for an operator's monitoring (which nodes send their models whole, which fell back to chunks),
/// and for tests and benchmarks that must know which path a transfer takes.
/// </summary>
/// <param name="Node">The client node.</param>
/// <param name="Open">True when it opened, false when it ended.</param>
/// <param name="Detail">Where it came from, or why it ended.</param>
public sealed record NodeBulkChannel(Address Node, bool Open, string Detail);
