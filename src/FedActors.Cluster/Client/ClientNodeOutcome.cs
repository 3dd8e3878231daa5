namespace FedActors.Cluster.Client;

/// <summary>How a client node's part in a run ended.</summary>
/// <param name="Succeeded">True when the server's run completed.</param>
/// <param name="Detail">What happened, naming the server, the key or the ids to fix when it failed.</param>
public sealed record ClientNodeOutcome(bool Succeeded, string Detail)
{
    /// <summary>True when the node stopped before the run's end on request: its own operator's (SIGTERM, Ctrl-C), or the server's, which stopped the run to resume it later.</summary>
    public bool Stopped { get; init; }
}
