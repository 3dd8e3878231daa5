using System.Globalization;
using Akka;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Security;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Simulation;

namespace FedActors.Cluster.Server;

/// <summary>
/// The server's node: a one-node Akka cluster with role <c>server</c>, running the coordinator of
/// <see cref="CoordinatorRun"/> (the simulation's own) and the <see cref="ClientGateway"/> that
/// client nodes reach through the receptionist.
/// </summary>
public static class ServerNode
{
    // Joining itself takes about a second; far longer means remoting did not start.
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Starts the server node and returns once it is a cluster member and listening.</summary>
    /// <param name="settings">Core's settings and the run's configuration.</param>
    /// <param name="cluster">The cluster layer's settings.</param>
    /// <param name="setup">The initial model, the strategy, the evaluator and checkpoints; <see cref="SimulationSetup.Clients"/> are the clients every round waits for before the first.</param>
    /// <param name="onRound">Called after each record, on an actor thread.</param>
    /// <param name="ct">Stops waiting for the cluster to come up.</param>
    public static async Task<ServerNodeHandle> StartAsync(RuntimeSettings settings, ClusterSettings cluster, SimulationSetup setup, Action<RoundRecord>? onRound = null, CancellationToken ct = default)
    {
        var audit = cluster.AuditLogPath.Length > 0 ? new AuditLog(cluster.AuditLogPath) : null;
        var trust = cluster.Tls.Enabled ? new FederationTrust(cluster.Tls.Ca!, cluster.Tls.DenyListPath, audit) : null;
        ActorSystem system;
        try
        {
            system = ActorSystem.Create(cluster.SystemName, NodeConfig.Setup(cluster, NodeConfig.Server(cluster, settings.Config), trust, checkServerName: false));
        }
        catch
        {
            audit?.Dispose();
            throw;
        }

        try
        {
            // A one-node cluster: the server is its own seed, at the port it was given or got.
            var member = Akka.Cluster.Cluster.Get(system);
            var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            member.RegisterOnMemberUp(() => up.TrySetResult());
            member.Join(member.SelfAddress);
            try
            {
                await up.Task.WaitAsync(JoinTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new InvalidOperationException(
                    $"the server node at {member.SelfAddress} did not come up as a member of its own cluster within {JoinTimeout}; its log says why (a port in use, a transport that did not start)");
            }

            var run = CoordinatorRun.Start(system, settings.Server, setup, clientStates: null, onRound);
            var gateway = system.ActorOf(ClientGateway.Props(run.Coordinator, setup.InitialParameters.Layout, cluster, trust, audit), NodeConfig.GatewayName);
            ClusterClientReceptionist.Get(system).RegisterService(gateway);
            return new ServerNodeHandle(system, member.SelfAddress, gateway, run.Outcome, audit);
        }
        catch
        {
            await system.Terminate().ConfigureAwait(false);
            audit?.Dispose();
            throw;
        }
    }
}

/// <summary>A running server node.</summary>
public sealed class ServerNodeHandle : IAsyncDisposable
{
    private readonly IActorRef _gateway;
    private readonly AuditLog? _audit;

    internal ServerNodeHandle(ActorSystem system, Address address, IActorRef gateway, Task<RunOutcome> outcome, AuditLog? audit)
    {
        _audit = audit;
        System = system;
        Address = address;
        _gateway = gateway;
        Outcome = outcome;
    }

    /// <summary>The node's actor system.</summary>
    public ActorSystem System { get; }

    /// <summary>The seed address client nodes dial.</summary>
    public Address Address { get; }

    /// <summary>Completes when the run completes or fails.</summary>
    public Task<RunOutcome> Outcome { get; }

    /// <summary>Tells every connected client node that the run is over (they then stop), within <paramref name="timeout"/>.</summary>
    public async Task EndRunAsync(RunOutcome outcome, TimeSpan timeout)
    {
        var last = outcome.History.LastOrDefault(r => r.Completed && r.TestAccuracy is not null);
        var detail = !outcome.Succeeded
            ? outcome.FailureReason ?? "no reason given"
            : string.Create(CultureInfo.InvariantCulture, $"{outcome.History.Count(r => r.Completed && r.Round.Value > 0)} rounds completed")
                + (last?.TestAccuracy is { } accuracy ? string.Create(CultureInfo.InvariantCulture, $", final test accuracy {accuracy:0.0000}") : string.Empty);
        await _gateway.Ask<Done>(new EndRun(outcome.Succeeded, detail), timeout).ConfigureAwait(false);
    }

    /// <summary>Leaves: terminates the node's actor system (pending messages to the nodes are flushed first).</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        _audit?.Dispose();
    }
}
