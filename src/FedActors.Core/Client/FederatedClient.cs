using Akka.Actor;
using Akka.Event;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Training;

namespace FedActors.Core.Client;

/// <summary>
/// One party. States: <c>Registering</c>, sending <see cref="RegisterClient"/> to its coordinator
/// every registration-retry until acknowledged, and <c>Ready</c>, answering fit and evaluation
/// requests with a trainer created for the request and disposed after it (so an idle client holds
/// no model). A <see cref="UseCoordinator"/> sends it back to registering, with the new coordinator.
/// <para>
/// It runs on the training dispatcher: a fit blocks this actor's thread, and the dispatcher's
/// thread count bounds how many clients train at once. The trainer's token fires at the phase's
/// deadline, which travels with the request. The client's kept tensors live in the
/// <see cref="ClientStateStore"/>, not in the actor, so a restart does not lose them.
/// </para>
/// <para>
/// A trainer exception is not caught here: the actor fails, its parent restarts it, and on the
/// way down it tells the coordinator which request it could not finish, so that phase need not
/// wait for its deadline. The restarted actor registers again.
/// </para>
/// <para>
/// With local differential privacy on (this node's <c>fedactors.privacy.mode = local</c>, never the
/// server's say), the trainer's update goes through <see cref="LocalRandomiser"/> here, after the
/// trainer (user code) returns and before anything is sent, so no trainer can bypass it: the
/// reply carries <c>w_global + noised clipped Δ</c>, never the raw update, and the metrics
/// <c>local-epsilon</c> and <c>local-epsilon-composed</c> (<see cref="LocalPrivacyLoss"/>) over this
/// client's releases, counted in the store's <see cref="ReleaseLedger"/>. A fit that returns
/// strategy extras (SCAFFOLD's control-variate delta, FedDual's dual delta) is refused with a failure reply: they would
/// leave unnoised, and noising them needs a sensitivity of their own and a second accounted
/// release. The sample count, the training loss and accuracy and the trainer's metrics are sent
/// as they are: local DP does not cover them.
/// </para>
/// </summary>
/// <remarks>
/// An <see cref="UntypedActor"/> with one switch, not a <see cref="ReceiveActor"/>: a receive
/// actor builds its handler table per instance, which at a million idle clients was a fifth of the
/// idle-client budget. For the same reason the clients of a <see cref="ClientSupervisor"/> share
/// one <see cref="Props"/> and learn their id from their actor name (<see cref="ForNamedChildren"/>).
/// </remarks>
public sealed class FederatedClient : UntypedActor, IWithTimers
{
    private const string RetryTimerKey = "register-retry";

    private readonly ClientId _id;
    private readonly Func<ClientId, ITrainer> _trainerFactory;
    private readonly ClientStateStore _state;
    private readonly TimeSpan _registrationRetry;
    private readonly LocalDpSettings? _localDp;
    private readonly bool _parentRegisters;
    private ILoggingAdapter? _log;
    private IActorRef _coordinator;
    private bool _registered;

    /// <summary>Creates the client; use <see cref="Props"/> or <see cref="ForNamedChildren"/>.</summary>
    /// <param name="id">The client's id; null to take it from this actor's name (<see cref="ClientSupervisor.ClientIdOf"/>).</param>
    /// <param name="coordinator">Where it registers.</param>
    /// <param name="trainerFactory">Creates a trainer per request.</param>
    /// <param name="state">Its kept state.</param>
    /// <param name="registrationRetry">How long it waits for an acknowledgement before registering again.</param>
    /// <param name="localDp">Local DP, or null for none.</param>
    /// <param name="parentRegisters">True when its parent registers it at start (<see cref="RegisterClients"/>), so it does not register itself then; it still does after a restart or a <see cref="UseCoordinator"/>.</param>
    public FederatedClient(ClientId? id, IActorRef coordinator, Func<ClientId, ITrainer> trainerFactory, ClientStateStore state, TimeSpan registrationRetry, LocalDpSettings? localDp, bool parentRegisters = false)
    {
        _parentRegisters = parentRegisters;
        _registered = parentRegisters;
        _localDp = localDp;
        _id = id ?? ClientSupervisor.ClientIdOf(Context.Self.Path.Name);
        _coordinator = coordinator;
        _trainerFactory = trainerFactory;
        _state = state;
        _registrationRetry = registrationRetry;
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a client, to be deployed on the training dispatcher by its parent; <paramref name="localDp"/> null for no local DP.</summary>
    /// <remarks>
    /// Through a producer, not a <c>() =&gt; new FederatedClient(...)</c> expression: Akka evaluates such an
    /// expression tree for every actor, which made creating 100,000 clients take several times longer.
    /// </remarks>
    public static Props Props(ClientId id, IActorRef coordinator, Func<ClientId, ITrainer> trainerFactory, ClientStateStore state, TimeSpan registrationRetry, LocalDpSettings? localDp = null) =>
        Akka.Actor.Props.CreateBy(new Producer(id, coordinator, trainerFactory, state, registrationRetry, localDp, ParentRegisters: false));

    /// <summary>
    /// One Props for every client of a parent, each child taking its id from its actor name
    /// (<see cref="ClientSupervisor.ActorNameFor"/>): an actor keeps its Props for restarts, and a
    /// Props per client (with its argument array and deploy) was about 350 bytes of every idle client.
    /// With <paramref name="parentRegisters"/>, the parent registers them (<see cref="RegisterClients"/>).
    /// </summary>
    public static Props ForNamedChildren(IActorRef coordinator, Func<ClientId, ITrainer> trainerFactory, ClientStateStore state, TimeSpan registrationRetry, LocalDpSettings? localDp, bool parentRegisters) =>
        Akka.Actor.Props.CreateBy(new Producer(null, coordinator, trainerFactory, state, registrationRetry, localDp, parentRegisters));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (!_parentRegisters)
        {
            SendRegistration();
        }
    }

    /// <inheritdoc />
    /// <remarks>A restarted client registers itself, whoever registered it first: the coordinator may have dropped it.</remarks>
    protected override void PostRestart(Exception reason) => SendRegistration();

    /// <inheritdoc />
    protected override void PreRestart(Exception reason, object message)
    {
        var failure = $"{reason.GetType().Name}: {reason.Message}";
        switch (message)
        {
            case FitRequest r:
                _coordinator.Tell(new ClientFailed(_id, r.Round, r.Attempt, RoundCoordinator.FitPhase, failure, Cancelled: false));
                break;
            case EvaluateRequest r:
                _coordinator.Tell(new ClientFailed(_id, r.Round, r.Attempt, RoundCoordinator.EvaluatePhase, failure, Cancelled: false));
                break;
        }

        base.PreRestart(reason, message);
    }

    /// <inheritdoc />
    /// <remarks>The two states are one flag, not two behaviours: at a million idle clients every behaviour's handler table was about 600 bytes per actor (measured).</remarks>
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case ClientRegistered m:
                if (!_registered && m.Client == _id)
                {
                    Timers.Cancel(RetryTimerKey);
                    _registered = true;
                }

                break;
            case RetryRegistration:
                if (!_registered)
                {
                    SendRegistration();
                }

                break;

            // A request proves the coordinator knows this client, even if its acknowledgement was lost.
            case FitRequest m:
                Timers.Cancel(RetryTimerKey);
                _registered = true;
                Fit(m);
                break;
            case EvaluateRequest m:
                Timers.Cancel(RetryTimerKey);
                _registered = true;
                Evaluate(m);
                break;
            case UseCoordinator m:
                _coordinator = m.Coordinator;
                _registered = false;
                SendRegistration();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void SendRegistration()
    {
        _registered = false;
        // The retry exists before the registration leaves, so whoever sees a registration can rely on it.
        Timers.StartSingleTimer(RetryTimerKey, RetryRegistration.Instance, _registrationRetry);
        _coordinator.Tell(new RegisterClient(_id));
    }

    private void Fit(FitRequest request)
    {
        var replyTo = Sender;
        using var deadline = new CancellationTokenSource(request.Timeout);
        var kept = _state.Load(_id, request.Round);
        using var trainer = _trainerFactory(_id);
        LocalFit fit;
        try
        {
            fit = trainer.Fit(new FitTask(_id, request.Round, request.Global, request.Config, request.Seed, request.Extras, kept), deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            replyTo.Tell(new ClientFailed(_id, request.Round, request.Attempt, RoundCoordinator.FitPhase, $"cancelled at the deadline ({request.Timeout})", Cancelled: true));
            return;
        }

        if (!fit.ClientState.IsEmpty || !kept.IsEmpty)
        {
            _state.Save(_id, request.Round, fit.ClientState);
        }

        if (deadline.IsCancellationRequested)
        {
            (_log ??= Context.GetLogger()).Warning("Client {Client}: the trainer ignored its cancellation and finished round {Round} after the {Timeout} deadline", _id, request.Round, request.Timeout);
        }

        if (_localDp is { } dp)
        {
            if (!fit.Extras.IsEmpty)
            {
                var refusal = $"local DP is on (fedactors.privacy.mode = local) and the trainer returned strategy extras ({string.Join(", ", fit.Extras.Keys)}), " +
                    "which would leave this node unnoised; use a strategy whose clients send only their parameters (fedavg, fedprox, fednova, feddyn, fedavgm, fedadagrad, fedadam, fedyogi, the robust ones), not scaffold or feddual";
                (_log ??= Context.GetLogger()).Error("Client {Client}, round {Round}: {Refusal}", _id, request.Round, refusal);
                replyTo.Tell(new ClientFailed(_id, request.Round, request.Attempt, RoundCoordinator.FitPhase, refusal, Cancelled: false));
                return;
            }

            replyTo.Tell(Privatise(request, fit, dp));
            return;
        }

        replyTo.Tell(new FitResult(_id, request.Round, request.Attempt, fit.Updated, fit.SampleCount, fit.Loss, fit.Accuracy, fit.Extras, fit.Metrics));
    }

    // The release is counted before it is sent, so a crash in between over-counts rather than under-counts.
    private FitResult Privatise(FitRequest request, LocalFit fit, LocalDpSettings dp)
    {
        // Seeded noise only when the run says it is non-private; then from this round's seed, so a test run repeats.
        var noise = dp.SecureNoise ? NoiseSource.Secure() : NoiseSource.SeededNonPrivate((ulong)(uint)request.Seed);
        var released = LocalRandomiser.Randomise(request.Global, fit.Updated, dp, noise);
        var releases = _state.Releases.Record(_id);
        var metrics = fit.Metrics.SetItems(LocalPrivacyLoss.Metrics(dp, releases));
        return new FitResult(_id, request.Round, request.Attempt, released, fit.SampleCount, fit.Loss, fit.Accuracy, fit.Extras, metrics);
    }

    private void Evaluate(EvaluateRequest request)
    {
        var replyTo = Sender;
        using var deadline = new CancellationTokenSource(request.Timeout);
        using var trainer = _trainerFactory(_id);
        Evaluation evaluation;
        try
        {
            evaluation = trainer.Evaluate(request.Global, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            replyTo.Tell(new ClientFailed(_id, request.Round, request.Attempt, RoundCoordinator.EvaluatePhase, $"cancelled at the deadline ({request.Timeout})", Cancelled: true));
            return;
        }

        replyTo.Tell(new EvaluateResult(_id, request.Round, request.Attempt, evaluation.SampleCount, evaluation.Loss, evaluation.Accuracy));
    }

    /// <summary>Creates clients without reflection; with no id, each takes its own from its actor name.</summary>
    private sealed record Producer(ClientId? Id, IActorRef Coordinator, Func<ClientId, ITrainer> TrainerFactory, ClientStateStore State, TimeSpan RegistrationRetry, LocalDpSettings? LocalDp, bool ParentRegisters) : IIndirectActorProducer
    {
        public Type ActorType => typeof(FederatedClient);

        public ActorBase Produce() => new FederatedClient(Id, Coordinator, TrainerFactory, State, RegistrationRetry, LocalDp, ParentRegisters);

        public void Release(ActorBase actor)
        {
        }
    }

    private sealed record RetryRegistration : INoSerializationVerificationNeeded
    {
        public static readonly RetryRegistration Instance = new();
    }
}
