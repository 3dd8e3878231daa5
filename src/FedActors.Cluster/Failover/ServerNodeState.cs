using Akka.Actor;
using FedActors.Core.Simulation;

namespace FedActors.Cluster.Failover;

/// <summary>
/// What a server node knows of the server singleton: whether it runs here, from which round,
/// and the run's outcome once it ends here. Written by this node's <see cref="ActiveServer"/>
/// (on an actor thread), read by the node's handle.
/// </summary>
internal sealed class ServerNodeState
{
    private readonly TaskCompletionSource<int> _active = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<RunOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IActorRef? _gateway;
    private volatile IActorRef? _coordinator;

    /// <summary>Completes with the last completed round it resumed after (0 for a fresh run) when the server starts running on this node; canceled when the node stops first.</summary>
    public Task<int> Active => _active.Task;

    /// <summary>Completes when the run ends on this node.</summary>
    public Task<RunOutcome> Outcome => _outcome.Task;

    /// <summary>This node's gateway while the server runs here; null otherwise.</summary>
    public IActorRef? Gateway => _gateway;

    /// <summary>This node's coordinator while the server runs here; null otherwise.</summary>
    public IActorRef? Coordinator => _coordinator;

    public void Activated(IActorRef gateway, IActorRef coordinator, int resumedAfter, Task<RunOutcome> outcome)
    {
        _gateway = gateway;
        _coordinator = coordinator;
        _active.TrySetResult(resumedAfter);
        _ = outcome.ContinueWith(t => _outcome.TrySetResult(t.Result), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    public void Failed(string reason)
    {
        _gateway = null;
        _coordinator = null;
        _outcome.TrySetResult(new RunOutcome(false, reason, [], null));
    }

    /// <summary>The node stopped: the run did not end here.</summary>
    public void Stopped(string address)
    {
        _active.TrySetCanceled();
        _outcome.TrySetResult(new RunOutcome(false, $"the server node {address} stopped before the run ended on it", [], null));
    }
}
