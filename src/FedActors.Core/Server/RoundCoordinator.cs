using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Server;

/// <summary>
/// The server: keeps the registry of clients, runs the rounds and owns the global model.
/// <para>
/// States: <c>WaitingForClients</c> until min-available-clients have registered, then per
/// round <c>Fitting</c> (sample, send fit requests, collect replies until all are in or the
/// round's deadline passes) and <c>Evaluating</c> (centralised evaluation of the new model on
/// the training dispatcher), and finally <c>Finished</c>. Clients are known by their
/// <see cref="ClientId"/>; their actor references are only how to reach them now.
/// </para>
/// <para>
/// A client that times out, reports a failure, stops, or sends an invalid update is dropped
/// from the round and named in its record. A round with too few valid updates is retried up
/// to max-round-retries times, then the run fails with the reason.
/// </para>
/// </summary>
public sealed class RoundCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>The dispatcher, defined in reference.conf, for blocking training and evaluation work.</summary>
    public const string TrainingDispatcher = "fedactors.training-dispatcher";

    private const string RoundTimerKey = "round-timeout";
    private const string RegistrationTimerKey = "registration-timeout";

    private readonly RoundCoordinatorSettings _settings;
    private readonly IStrategy _strategy;
    private readonly ICentralEvaluator? _evaluator;
    private readonly IActorRef _listener;
    private readonly int _clientsBeforeFirstRound;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SortedDictionary<ClientId, IActorRef> _clients = [];
    private readonly Dictionary<IActorRef, ClientId> _idsByRef = [];
    private readonly ImmutableArray<RoundRecord>.Builder _history = ImmutableArray.CreateBuilder<RoundRecord>();
    private IActorRef? _evaluationWorker;
    private Parameters _global;

    /// <summary>Creates the coordinator; use <see cref="Props"/>.</summary>
    public RoundCoordinator(
        RoundCoordinatorSettings settings,
        IStrategy strategy,
        Parameters initial,
        ICentralEvaluator? evaluator,
        IActorRef listener,
        int clientsBeforeFirstRound = 0)
    {
        _settings = settings;
        _clientsBeforeFirstRound = Math.Max(settings.MinAvailableClients, clientsBeforeFirstRound);
        _strategy = strategy;
        _global = initial;
        _evaluator = evaluator;
        _listener = listener;
        WaitingForClients(RoundNumber.Initial.Next());
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for a coordinator.</summary>
    /// <param name="settings">The round settings (<see cref="RoundCoordinatorSettings.Create(ActorSystem)"/>).</param>
    /// <param name="strategy">How updates are aggregated.</param>
    /// <param name="initial">The global model before round 1.</param>
    /// <param name="evaluator">Centralised evaluation after each round, or null for none.</param>
    /// <param name="listener">Receives <see cref="RoundCompleted"/>, then <see cref="RunCompleted"/> or <see cref="RunFailed"/>.</param>
    /// <param name="clientsBeforeFirstRound">
    /// Registrations the first round waits for when more than min-available-clients: a
    /// simulation knows all its clients, and sampling from whoever happened to register first
    /// would make its results depend on thread timing. 0 for min-available-clients alone.
    /// </param>
    public static Props Props(
        RoundCoordinatorSettings settings,
        IStrategy strategy,
        Parameters initial,
        ICentralEvaluator? evaluator,
        IActorRef listener,
        int clientsBeforeFirstRound = 0) =>
        Akka.Actor.Props.Create(() => new RoundCoordinator(settings, strategy, initial, evaluator, listener, clientsBeforeFirstRound));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_evaluator is not null)
        {
            _evaluationWorker = Context.ActorOf(CentralEvaluationWorker.Props(_evaluator, TrainingDispatcher), "central-evaluation");
        }

        _log.Info("Waiting for {0} clients to register (timeout {1})", _clientsBeforeFirstRound, _settings.RegistrationTimeout);
        Timers.StartSingleTimer(RegistrationTimerKey, new RegistrationDeadline(RoundNumber.Initial.Next()), _settings.RegistrationTimeout);
    }

    private void WaitingForClients(RoundNumber next)
    {
        var needed = next == RoundNumber.Initial.Next() && _history.Count == 0 ? _clientsBeforeFirstRound : _settings.MinAvailableClients;
        Become(() =>
        {
            Receive<RegisterClient>(m =>
            {
                Register(m);
                if (_clients.Count >= needed)
                {
                    Timers.Cancel(RegistrationTimerKey);
                    Begin(next);
                }
            });
            Receive<Terminated>(m => Unregister(m.ActorRef));
            Receive<RegistrationDeadline>(m => m.Round == next, _ => Fail(
                $"only {_clients.Count} of the {needed} clients needed " +
                (needed == _settings.MinAvailableClients ? "(min-available-clients) " : "(every simulated client, before the first round) ") +
                $"registered within {_settings.RegistrationTimeout} (registration-timeout) before round {next}"));
            IgnoreStaleReplies();
        });
    }

    private void Begin(RoundNumber next)
    {
        // The initial model is evaluated once, as round 0, so that curves start where training starts.
        if (next == RoundNumber.Initial.Next() && _history.Count == 0 && _evaluationWorker is not null)
        {
            var initial = new RoundRecord(RoundNumber.Initial, 1, _clients.Count, [], [], [], null, null, null, null, RoundTimings.Zero);
            StartEvaluation(initial, Stopwatch.StartNew(), TimeSpan.Zero, TimeSpan.Zero);
            return;
        }

        StartRound(next, attempt: 1);
    }

    private void StartRound(RoundNumber round, int attempt)
    {
        if (_clients.Count < _settings.MinAvailableClients)
        {
            _log.Warning("Round {0}: {1} clients registered, fewer than min-available-clients {2}; waiting", round, _clients.Count, _settings.MinAvailableClients);
            Timers.StartSingleTimer(RegistrationTimerKey, new RegistrationDeadline(round), _settings.RegistrationTimeout);
            WaitingForClients(round);
            return;
        }

        var asked = ClientSampler.Sample(
            _clients.Keys,
            _settings.FractionFit,
            _settings.MinFitClients,
            SeedDerivation.ForRound(_settings.Seed, "sample", round, attempt));
        FitInstructions instructions;
        try
        {
            instructions = _strategy.ConfigureFit(round, _global, _settings.Training);
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} could not configure round {round}: {e.Message}");
            return;
        }

        var fit = new FitRound(round, attempt, _clients.Count, asked, new PhaseTracker<FitResult>(asked), Stopwatch.StartNew());
        _log.Info("Round {0} (attempt {1}): asking {2} of {3} clients to train", round, attempt, asked.Length, _clients.Count);

        // The deadline exists before any request leaves, so whoever sees a request can rely on it.
        Timers.StartSingleTimer(RoundTimerKey, new RoundDeadline(round, attempt), _settings.RoundTimeout);
        foreach (var client in asked)
        {
            var seed = SeedDerivation.ForClient(_settings.Seed, round, attempt, client);
            _clients[client].Tell(new FitRequest(round, attempt, _global, instructions.Config, seed, instructions.Extras));
        }

        Fitting(fit);
    }

    private void Fitting(FitRound fit)
    {
        Become(() =>
        {
            Receive<FitResult>(m => m.Round == fit.Round && m.Attempt == fit.Attempt, m => OnFitResult(fit, m));
            Receive<FitFailed>(m => m.Round == fit.Round && m.Attempt == fit.Attempt, m =>
            {
                if (IsFrom(m.Client) && fit.Tracker.Drop(m.Client, DropReason.Failed, m.Reason))
                {
                    LogDrop(fit, m.Client, DropReason.Failed, m.Reason);
                    CompleteFitIfDone(fit);
                }
            });
            Receive<Terminated>(m =>
            {
                var client = Unregister(m.ActorRef);
                if (client is { } id && fit.Tracker.Drop(id, DropReason.Stopped, "the client's actor stopped"))
                {
                    LogDrop(fit, id, DropReason.Stopped, "the client's actor stopped");
                    CompleteFitIfDone(fit);
                }
            });
            Receive<RoundDeadline>(m => m.Round == fit.Round && m.Attempt == fit.Attempt, _ =>
            {
                fit.Tracker.DropAllPending(DropReason.TimedOut, $"no reply within {_settings.RoundTimeout} (round-timeout)");
                CompleteFit(fit);
            });
            Receive<RegisterClient>(Register);
            IgnoreStaleReplies();
        });
    }

    private void OnFitResult(FitRound fit, FitResult result)
    {
        if (!IsFrom(result.Client) || !fit.Tracker.IsPending(result.Client))
        {
            _log.Warning("Round {0}: ignoring a fit result for client {1}, which was not asked or already answered", fit.Round, result.Client);
            return;
        }

        var problem = UpdateValidator.Problem(result, _global.Layout, _settings.MaxUpdateNorm);
        if (problem is null)
        {
            fit.Tracker.Accept(result.Client, result);
            if (_settings.LogVerbose)
            {
                _log.Info("Round {0}: update from {1} ({2} samples, loss {3:F4})", fit.Round, result.Client, result.SampleCount, result.Loss);
            }
        }
        else
        {
            fit.Tracker.Drop(result.Client, DropReason.InvalidUpdate, problem);
            LogDrop(fit, result.Client, DropReason.InvalidUpdate, problem);
        }

        CompleteFitIfDone(fit);
    }

    private void CompleteFitIfDone(FitRound fit)
    {
        if (fit.Tracker.IsComplete)
        {
            CompleteFit(fit);
        }
    }

    private void CompleteFit(FitRound fit)
    {
        Timers.Cancel(RoundTimerKey);
        var fitTime = fit.Clock.Elapsed;
        var replies = fit.Tracker.Replies;
        var drops = fit.Tracker.Drops;
        _log.Info(
            "Round {0}: received {1} updates and {2} drops in {3:F0} ms",
            fit.Round,
            replies.Length,
            drops.Length,
            fitTime.TotalMilliseconds);

        var answered = replies.Select(r => r.Key).ToImmutableArray();
        var enough = replies.Length >= _settings.MinFitClients || (_settings.AcceptFailures && replies.Length > 0);
        if (!enough)
        {
            var reason =
                $"round {fit.Round} (attempt {fit.Attempt}) got {replies.Length} valid updates, fewer than min-fit-clients " +
                $"{_settings.MinFitClients}{(_settings.AcceptFailures ? string.Empty : " (accept-failures is off)")}; dropped: " +
                (drops.IsEmpty ? "none" : string.Join("; ", drops.Select(d => $"{d.Client} {d.Reason}: {d.Detail}")));
            if (fit.Attempt <= _settings.MaxRoundRetries)
            {
                _log.Warning("{0}; retrying", reason);
                StartRound(fit.Round, fit.Attempt + 1);
            }
            else
            {
                Fail($"{reason}; no retries left (max-round-retries {_settings.MaxRoundRetries})");
            }

            return;
        }

        var aggregateClock = Stopwatch.StartNew();
        try
        {
            var updates = replies.Select(r => new ClientUpdate(r.Key, r.Value.Updated, r.Value.SampleCount, r.Value.Extras)).ToList();
            _global = _strategy.Aggregate(fit.Round, _global, updates);
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} failed to aggregate round {fit.Round}: {e.Message}");
            return;
        }

        var aggregateTime = aggregateClock.Elapsed;
        double samples = replies.Sum(r => (double)r.Value.SampleCount);
        var record = new RoundRecord(
            fit.Round,
            fit.Attempt,
            fit.Registered,
            fit.Asked,
            answered,
            drops,
            replies.Sum(r => r.Value.Loss * r.Value.SampleCount) / samples,
            replies.Sum(r => r.Value.Accuracy * r.Value.SampleCount) / samples,
            TestLoss: null,
            TestAccuracy: null,
            new RoundTimings(fitTime, aggregateTime, TimeSpan.Zero, fit.Clock.Elapsed));
        if (_evaluationWorker is null)
        {
            CompleteRound(record);
        }
        else
        {
            StartEvaluation(record, fit.Clock, fitTime, aggregateTime);
        }
    }

    private void StartEvaluation(RoundRecord pending, Stopwatch roundClock, TimeSpan fitTime, TimeSpan aggregateTime)
    {
        var evaluateClock = Stopwatch.StartNew();
        _evaluationWorker!.Tell(new EvaluateGlobalModel(pending.Round, _global));
        Become(() =>
        {
            Receive<GlobalModelEvaluated>(m => m.Round == pending.Round, m => CompleteRound(pending with
            {
                TestLoss = m.Evaluation.Loss,
                TestAccuracy = m.Evaluation.Accuracy,
                Timings = new RoundTimings(fitTime, aggregateTime, evaluateClock.Elapsed, roundClock.Elapsed),
            }));
            Receive<GlobalModelEvaluationFailed>(m => m.Round == pending.Round, m =>
                Fail($"centralised evaluation after round {m.Round} failed: {m.Reason}"));
            Receive<RegisterClient>(Register);
            Receive<Terminated>(m => Unregister(m.ActorRef));
            IgnoreStaleReplies();
        });
    }

    private void CompleteRound(RoundRecord record)
    {
        _history.Add(record);
        _log.Info(
            "Round {0} complete: train loss {1:F4}, test loss {2:F4}, test accuracy {3:F4}",
            record.Round,
            record.TrainLoss,
            record.TestLoss,
            record.TestAccuracy);
        _listener.Tell(new RoundCompleted(record));
        if (record.Round.Value >= _settings.Rounds)
        {
            _log.Info("Run complete after {0} rounds", _settings.Rounds);
            _listener.Tell(new RunCompleted(_history.ToImmutable(), _global));
            Finished();
        }
        else
        {
            StartRound(record.Round.Next(), attempt: 1);
        }
    }

    private void Fail(string reason)
    {
        Timers.CancelAll();
        _log.Error("Run failed: {0}", reason);
        _listener.Tell(new RunFailed(reason, _history.ToImmutable()));
        Finished();
    }

    private void Finished()
    {
        Become(() =>
        {
            Receive<RegisterClient>(Register);
            Receive<Terminated>(m => Unregister(m.ActorRef));
            IgnoreStaleReplies();
        });
    }

    private void IgnoreStaleReplies()
    {
        // Replies from an earlier round or attempt, and timer ticks that lost a race with a
        // completed round, are expected after a deadline: not worth a dead letter.
        Receive<FitResult>(m => _log.Debug("Ignoring a late fit result from {0} for round {1} attempt {2}", m.Client, m.Round, m.Attempt));
        Receive<FitFailed>(m => _log.Debug("Ignoring a late failure from {0} for round {1} attempt {2}", m.Client, m.Round, m.Attempt));
        Receive<RoundDeadline>(_ => { });
        Receive<RegistrationDeadline>(_ => { });
        Receive<GlobalModelEvaluated>(_ => { });
        Receive<GlobalModelEvaluationFailed>(_ => { });
    }

    private void Register(RegisterClient message)
    {
        Sender.Tell(new ClientRegistered(message.Client));
        if (_clients.TryGetValue(message.Client, out var previous))
        {
            if (previous.Equals(Sender))
            {
                return;
            }

            // The same client from a new actor (a restarted node, a reconnect): the newest wins.
            _idsByRef.Remove(previous);
            Context.Unwatch(previous);
        }

        _clients[message.Client] = Sender;
        _idsByRef[Sender] = message.Client;
        Context.Watch(Sender);
        if (_settings.LogVerbose)
        {
            _log.Info("Client {0} registered ({1} in all)", message.Client, _clients.Count);
        }
    }

    private ClientId? Unregister(IActorRef actor)
    {
        if (!_idsByRef.Remove(actor, out var client))
        {
            return null;
        }

        _clients.Remove(client);
        _log.Warning("Client {0} stopped; {1} clients remain registered", client, _clients.Count);
        return client;
    }

    // A reply counts only from the actor registered under the id it names.
    private bool IsFrom(ClientId client) => _clients.TryGetValue(client, out var actor) && actor.Equals(Sender);

    private void LogDrop(FitRound fit, ClientId client, DropReason reason, string detail) =>
        _log.Warning("Round {0}: dropped client {1} ({2}): {3}", fit.Round, client, reason, detail);

    private sealed record FitRound(
        RoundNumber Round,
        int Attempt,
        int Registered,
        ImmutableArray<ClientId> Asked,
        PhaseTracker<FitResult> Tracker,
        Stopwatch Clock);

    private sealed record RoundDeadline(RoundNumber Round, int Attempt) : INoSerializationVerificationNeeded;

    private sealed record RegistrationDeadline(RoundNumber Round) : INoSerializationVerificationNeeded;
}
