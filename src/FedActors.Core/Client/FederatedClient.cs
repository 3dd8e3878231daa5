using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Client;

/// <summary>
/// One party: registers with the coordinator under its stable id, and answers each fit request
/// by training with a trainer created for that request and disposed after it (so an idle
/// client holds no model). It runs on the training dispatcher: the fit blocks this actor's
/// thread, and the dispatcher's thread count bounds how many clients train at once.
/// <para>
/// A trainer exception is not caught here: the actor fails, its parent restarts it, and on the
/// way down it tells the coordinator which round it could not finish, so that round need not
/// wait for its deadline. The restarted actor registers again.
/// </para>
/// </summary>
public sealed class FederatedClient : ReceiveActor
{
    private readonly ClientId _id;
    private readonly IActorRef _coordinator;
    private readonly Func<ClientId, ITrainer> _trainerFactory;

    // Tensors a stateful strategy's client keeps from one fit to the next. Lost on a restart.
    private ImmutableSortedDictionary<string, Parameters> _state = NamedTensors.Empty;

    /// <summary>Creates the client; use <see cref="Props"/>.</summary>
    public FederatedClient(ClientId id, IActorRef coordinator, Func<ClientId, ITrainer> trainerFactory)
    {
        _id = id;
        _coordinator = coordinator;
        _trainerFactory = trainerFactory;
        Receive<FitRequest>(Fit);

        // Registration is fire-and-forget within one process; the acknowledgement matters to
        // clients that must know they are in (remote ones, tests).
        Receive<ClientRegistered>(_ => { });
    }

    /// <summary>Props for a client, to be deployed on the training dispatcher by its parent.</summary>
    public static Props Props(ClientId id, IActorRef coordinator, Func<ClientId, ITrainer> trainerFactory) =>
        Akka.Actor.Props.Create(() => new FederatedClient(id, coordinator, trainerFactory));

    /// <inheritdoc />
    protected override void PreStart() => _coordinator.Tell(new RegisterClient(_id));

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        if (message is FitRequest request)
        {
            _coordinator.Tell(new FitFailed(_id, request.Round, request.Attempt, $"{reason.GetType().Name}: {reason.Message}"));
        }

        base.PreRestart(reason, message);
    }

    private void Fit(FitRequest request)
    {
        var replyTo = Sender;
        using var trainer = _trainerFactory(_id);
        var fit = trainer.Fit(new FitTask(_id, request.Round, request.Global, request.Config, request.Seed, request.Extras, _state));
        _state = fit.ClientState;
        replyTo.Tell(new FitResult(_id, request.Round, request.Attempt, fit.Updated, fit.SampleCount, fit.Loss, fit.Accuracy, fit.Extras));
    }
}
