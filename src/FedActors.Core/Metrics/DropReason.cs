namespace FedActors.Core.Metrics;

/// <summary>Why a client's update did not make it into a round.</summary>
public enum DropReason
{
    /// <summary>No reply before the round's deadline.</summary>
    TimedOut,

    /// <summary>The client reported a failure (its trainer threw, and supervision restarted it).</summary>
    Failed,

    /// <summary>The client's actor stopped for good.</summary>
    Stopped,

    /// <summary>The update was malformed: wrong shapes, NaN or infinity, a norm over the bound, or no samples.</summary>
    InvalidUpdate,
}
