namespace FedActors.Core.Metrics;

/// <summary>Why a client's reply did not make it into a phase of a round.</summary>
public enum DropReason
{
    /// <summary>No reply before the phase's deadline (the client's trainer was told to cancel).</summary>
    TimedOut,

    /// <summary>The client reported a failure (its trainer threw, and supervision restarted it).</summary>
    Failed,

    /// <summary>The client's actor stopped for good.</summary>
    Stopped,

    /// <summary>The update was malformed: wrong shapes, NaN or infinity, an update norm over the bound, or no samples.</summary>
    InvalidUpdate,

    /// <summary>The transport layer reported the client's node unreachable.</summary>
    Unreachable,

    /// <summary>The client registered again from a new actor (a restart or reconnect) while its request was pending.</summary>
    Reregistered,

    /// <summary>The phase closed at its first replies (over-selection) before this client answered.</summary>
    NotNeeded,
}
