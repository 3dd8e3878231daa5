using Akka.Actor;
using Akka.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Training;

namespace FedActors.Core.Client;

/// <summary>
/// Parent of a process's <see cref="FederatedClient"/>s. It decides what a client's failure
/// means: a trainer fault restarts the client (up to the configured limit), while a fault that
/// restarting cannot cure (bad configuration, a constructor that throws) stops it. The
/// coordinator then sees a failure reply or a termination, never the exception itself.
/// </summary>
public sealed class ClientSupervisor : ReceiveActor
{
    private readonly ClientSupervisorSettings _settings;

    /// <summary>Creates the supervisor and its clients; use <see cref="Props"/>.</summary>
    public ClientSupervisor(
        ClientSupervisorSettings settings,
        IActorRef coordinator,
        IReadOnlyList<ClientId> clients,
        Func<ClientId, ITrainer> trainerFactory,
        ClientStateStore state)
    {
        _settings = settings;
        foreach (var id in clients)
        {
            Context.ActorOf(
                FederatedClient.Props(id, coordinator, trainerFactory, state, settings.RegistrationRetry, settings.LocalDp).WithDispatcher(RoundCoordinator.TrainingDispatcher),
                ActorNameFor(id));
        }

        // A new coordinator (a restarted or migrated server) reaches every client through here.
        Receive<UseCoordinator>(m =>
        {
            foreach (var child in Context.GetChildren())
            {
                child.Forward(m);
            }
        });
    }

    /// <summary>Props for a supervisor that starts one client per id, their kept state in <paramref name="state"/>.</summary>
    public static Props Props(
        ClientSupervisorSettings settings,
        IActorRef coordinator,
        IReadOnlyList<ClientId> clients,
        Func<ClientId, ITrainer> trainerFactory,
        ClientStateStore state) =>
        Akka.Actor.Props.Create(() => new ClientSupervisor(settings, coordinator, clients, trainerFactory, state));

    /// <summary>The child actor's name for a client id: the id, escaped to what actor paths allow.</summary>
    public static string ActorNameFor(ClientId id) => Uri.EscapeDataString(id.Value);

    /// <inheritdoc />
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: _settings.MaxRestarts,
        withinTimeRange: (TimeSpan?)_settings.RestartWindow,
        localOnlyDecider: e => e is ActorInitializationException or ConfigurationException ? Directive.Stop : Directive.Restart);
}
