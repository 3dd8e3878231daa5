using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Protocol;

namespace FedActors.Core.Client;

/// <summary>
/// Parent and supervisor of up to <see cref="ClientSupervisor.ShardSize"/> clients: a trainer
/// fault restarts the client (up to the configured limit), a fault that restarting cannot cure
/// (bad configuration, a constructor that throws) stops it. With a coordinator in this actor
/// system it registers its clients in one <see cref="RegisterClients"/>, retrying every
/// registration-retry until acknowledged, and tells that coordinator of each child that stops
/// (<see cref="ClientStopped"/>); otherwise each client registers itself and is watched.
/// </summary>
internal sealed class ClientShard : ReceiveActor, IWithTimers
{
    private const string RetryTimerKey = "register-retry";

    private readonly ClientSupervisorSettings _settings;

    // The live children, by actor: what a (re)sent batch registers. A child that stopped is left
    // out, or a retry would register an actor that nobody reports again.
    private readonly Dictionary<IActorRef, ClientId> _live = [];
    private IActorRef? _coordinator;

    /// <summary>Creates the shard and its clients, one child per id named by <see cref="ClientSupervisor.ActorNameFor"/>, all from the one <paramref name="clientProps"/>.</summary>
    /// <param name="settings">The supervision and registration settings.</param>
    /// <param name="clientProps">The clients' shared Props (<see cref="FederatedClient.ForNamedChildren"/>).</param>
    /// <param name="clients">The clients' ids.</param>
    /// <param name="coordinator">Where to register them in bulk; null when each client registers itself.</param>
    public ClientShard(ClientSupervisorSettings settings, Props clientProps, ClientId[] clients, IActorRef? coordinator)
    {
        _settings = settings;
        _coordinator = coordinator;
        foreach (var id in clients)
        {
            _live[Context.ActorOf(clientProps, ClientSupervisor.ActorNameFor(id))] = id;
        }

        Receive<UseCoordinator>(m =>
        {
            // The clients register themselves with the new coordinator, which watches them; an old batch's retry would only confuse it.
            Timers.Cancel(RetryTimerKey);
            _coordinator = null;
            foreach (var child in Context.GetChildren())
            {
                child.Forward(m);
            }
        });
        if (coordinator is not null)
        {
            Receive<RetryRegistration>(_ => Register(coordinator));
            Receive<ClientsRegistered>(_ => Timers.Cancel(RetryTimerKey));
            Register(coordinator);
        }
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a shard of <paramref name="clients"/>; <paramref name="coordinator"/> null when each client registers itself.</summary>
    public static Props Props(ClientSupervisorSettings settings, Props clientProps, ClientId[] clients, IActorRef? coordinator) =>
        Akka.Actor.Props.Create(() => new ClientShard(settings, clientProps, clients, coordinator));

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => new ReportingStrategy(this);

    // One-for-one as in the summary; a child's end (stopped by this strategy, or by anyone) goes to
    // the coordinator that registered it in bulk, which does not watch it.
    private sealed class ReportingStrategy(ClientShard shard) : OneForOneStrategy(
        shard._settings.MaxRestarts,
        shard._settings.RestartWindow,
        e => e is ActorInitializationException or ConfigurationException ? Directive.Stop : Directive.Restart)
    {
        public override void HandleChildTerminated(IActorContext actorContext, IActorRef child, IEnumerable<IInternalActorRef> children)
        {
            shard._live.Remove(child);
            shard._coordinator?.Tell(new ClientStopped(child), actorContext.Self);
        }
    }

    private void Register(IActorRef coordinator)
    {
        Timers.StartSingleTimer(RetryTimerKey, RetryRegistration.Instance, _settings.RegistrationRetry);
        coordinator.Tell(new RegisterClients([.. _live.Select(c => new ClientActor(c.Value, c.Key))]));
    }

    private sealed record RetryRegistration : INoSerializationVerificationNeeded
    {
        public static readonly RetryRegistration Instance = new();
    }
}
