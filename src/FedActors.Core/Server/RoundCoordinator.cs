using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using FedActors.Core.Metrics;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Server;

/// <summary>
/// The server: owns the global model and runs the rounds. A round is a sequence of phases run by
/// <see cref="PhaseRun"/> (fit on a sample, then, when due, federated evaluation on another),
/// with the strategy's aggregation and the centralised evaluation between them:
/// <c>WaitingForClients → fit → Aggregating → CentralEvaluation → evaluate → (next round)</c>,
/// and finally <c>Finished</c>.
/// <para>
/// A client that times out, reports a failure, stops, becomes unreachable, re-registers from a new
/// actor, or sends an invalid update is dropped from the phase and named, with the phase, in the
/// round's record. An attempt with too few valid updates is recorded as failed and retried (with
/// new seeds) up to max-round-retries times, then the run fails with the reason. After every
/// completed round the checkpoint callback gets the new state; between checkpoints, what an
/// accounted strategy spent is saved when an attempt releases its result or fails
/// (<see cref="PrivacySpentRecord"/>), so that a stop or a kill mid-round loses none of it.
/// </para>
/// <para>
/// A <see cref="StopRun"/> ends the run before its end so that it can be resumed: at once, or
/// after the round in progress (with no retry), then <see cref="RunStopped"/> names the last
/// completed round, whose checkpoint is the one to resume from.
/// </para>
/// <para>
/// Under central DP (<see cref="SamplingRule.Poisson"/>) each attempt draws a Poisson sample:
/// min-fit-clients is not a minimum of the draw, an attempt needs one valid update, and an empty
/// draw fails the attempt like any other shortfall (and is retried). The strategy is asked before
/// every attempt (<see cref="IStrategy.BeforeAttempt"/>): DP-FedAvg counts the attempt as a
/// sampled step there, or ends the run gracefully (<see cref="RunCompleted.StopReason"/>) when the
/// step would exceed the privacy budget.
/// </para>
/// </summary>
public sealed class RoundCoordinator : ReceiveActor, IWithTimers
{
    /// <summary>The dispatcher, defined in reference.conf, for blocking training and evaluation work.</summary>
    public const string TrainingDispatcher = "fedactors.training-dispatcher";

    /// <summary>The fit phase's name in records.</summary>
    public const string FitPhase = "fit";

    /// <summary>The federated evaluation phase's name in records.</summary>
    public const string EvaluatePhase = "evaluate";

    private const string PhaseTimerKey = "phase-deadline";
    private const string RegistrationTimerKey = "registration-timeout";

    private readonly RoundCoordinatorSettings _settings;
    private readonly IStrategy _strategy;
    private readonly ICentralEvaluator? _evaluator;
    private readonly IActorRef _listener;
    private readonly RunStart _start;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ClientRegistry _clients;
    private readonly ImmutableArray<RoundRecord>.Builder _history = ImmutableArray.CreateBuilder<RoundRecord>();
    private readonly HashSet<(ClientId Client, RoundNumber Round, int Attempt, string Phase)> _timedOut = [];
    private readonly List<Straggler> _stragglers = [];
    private readonly FitOrder _fitOrder = new();
    private IActorRef? _evaluationWorker;
    private Parameters _global;
    private bool _globalMayBeRead;

    // The model the run started from (initial or resumed) is the caller's: it may start another
    // run from it, so it is never given back to a pool, unlike the models aggregation made.
    private bool _globalIsTheCallers = true;
    private bool _firstAttemptStarted;
    private RoundNumber _lastCompleted;
    private string? _stopAfterRound;

    /// <summary>Creates the coordinator; use <see cref="Props(RoundCoordinatorSettings, IStrategy, ICentralEvaluator?, IActorRef, RunStart)"/>.</summary>
    public RoundCoordinator(RoundCoordinatorSettings settings, IStrategy strategy, ICentralEvaluator? evaluator, IActorRef listener, RunStart start)
    {
        _settings = settings;
        _strategy = strategy;
        _evaluator = evaluator;
        _listener = listener;
        _start = start;
        _clients = new ClientRegistry(start.ClientsBeforeFirstRound);
        _global = start.Resume?.Global ?? start.Initial;
        _lastCompleted = start.Resume?.Round ?? RoundNumber.Initial;
        if (start.Resume is { } resume)
        {
            _history.AddRange(resume.History);
            strategy.ImportState(resume.Strategy);

            // Spent after the checkpoint (attempts lost to a stop or a kill): counted still. One of its round or before is in the checkpoint already.
            if (start.ResumeSpent is { } spent && spent.Round > resume.Round && strategy is IAccountedStrategy accounted)
            {
                try
                {
                    accounted.ImportSpent(spent.Spent);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException($"the privacy spent up to round {spent.Round} attempt {spent.Attempt}, recorded after the checkpoint of round {resume.Round}, does not fit strategy {strategy.Name}: {e.Message}", nameof(start), e);
                }
            }
        }

        WaitingForClients(NextRound, attempt: 1);
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    private RoundNumber NextRound => (_start.Resume?.Round ?? RoundNumber.Initial).Next();

    private int Needed => _firstAttemptStarted ? _settings.MinAvailableClients : Math.Max(_settings.MinAvailableClients, _start.ClientsBeforeFirstRound);

    /// <summary>Props for a coordinator.</summary>
    /// <param name="settings">The round settings (<see cref="RoundCoordinatorSettings.Create(ActorSystem)"/>).</param>
    /// <param name="strategy">How updates are aggregated.</param>
    /// <param name="evaluator">Centralised evaluation after each round, or null for none.</param>
    /// <param name="listener">Receives <see cref="RoundCompleted"/> and <see cref="AttemptFailed"/>, then <see cref="RunCompleted"/> or <see cref="RunFailed"/>.</param>
    /// <param name="start">The initial model or checkpoint, and the checkpoint callback.</param>
    public static Props Props(RoundCoordinatorSettings settings, IStrategy strategy, ICentralEvaluator? evaluator, IActorRef listener, RunStart start) =>
        Akka.Actor.Props.Create(() => new RoundCoordinator(settings, strategy, evaluator, listener, start));

    /// <summary>Props for a fresh run from <paramref name="initial"/> without checkpoints.</summary>
    public static Props Props(
        RoundCoordinatorSettings settings,
        IStrategy strategy,
        Parameters initial,
        ICentralEvaluator? evaluator,
        IActorRef listener,
        int clientsBeforeFirstRound = 0) =>
        Props(settings, strategy, evaluator, listener, new RunStart(initial, clientsBeforeFirstRound));

    /// <inheritdoc />
    protected override void PreStart()
    {
        // A checkpoint of the last round (a finished run, resumed again) has nothing left to train.
        if (_start.Resume is { } resume && resume.Round.Value >= _settings.Rounds)
        {
            _log.Info("The checkpoint is of round {Round}, the run's last ({Rounds} rounds): nothing left to train", resume.Round, _settings.Rounds);
            _listener.Tell(new RunCompleted(_history.ToImmutable(), _global));
            Finished();
            return;
        }

        if (_evaluator is not null)
        {
            _evaluationWorker = Context.ActorOf(CentralEvaluationWorker.Props(_evaluator, TrainingDispatcher), "central-evaluation");
        }

        _log.Info("Waiting for {Needed} clients to register (timeout {Timeout})", Needed, _settings.RegistrationTimeout);
        Timers.StartSingleTimer(RegistrationTimerKey, new RegistrationDeadline(NextRound, 1), _settings.RegistrationTimeout);
    }

    private void WaitingForClients(RoundNumber round, int attempt)
    {
        Become(() =>
        {
            Receive<RegisterClient>(m =>
            {
                Register(m.Client, node: null, phase: null);
                StartWhenEnough(round, attempt);
            });
            Receive<RegisterClientOnNode>(m =>
            {
                Register(m.Client, m.Node, phase: null);
                StartWhenEnough(round, attempt);
            });
            Receive<RegisterClients>(m =>
            {
                Register(m, phase: null);
                StartWhenEnough(round, attempt);
            });
            Receive<NodeReachable>(m =>
            {
                _clients.MarkReachable(m.Node);
                StartWhenEnough(round, attempt);
            });
            Receive<RegistrationDeadline>(m => m.Round == round && m.Attempt == attempt, _ => Fail(
                $"only {_clients.ReachableCount} of the {Needed} clients needed " +
                (_firstAttemptStarted || Needed == _settings.MinAvailableClients ? "(min-available-clients) " : "(every simulated client, before the first round) ") +
                $"registered within {_settings.RegistrationTimeout} (registration-timeout) before round {round}" + (attempt > 1 ? $" attempt {attempt}" : string.Empty)));

            // No round is in progress: there is nothing to finish.
            Receive<StopRun>(m => Stop(m.Reason));
            ReceiveOutsidePhases();
        });
    }

    private void StartWhenEnough(RoundNumber round, int attempt)
    {
        if (_clients.ReachableCount < Needed)
        {
            return;
        }

        Timers.Cancel(RegistrationTimerKey);

        // The initial model is evaluated once, as round 0, so that curves start where training starts.
        if (round == RoundNumber.Initial.Next() && _history.Count == 0 && _evaluationWorker is not null)
        {
            _firstAttemptStarted = true;
            var initial = new RoundAttempt(RoundNumber.Initial, 1, _clients.Count);
            StartCentralEvaluation(initial);
            return;
        }

        StartAttempt(round, attempt);
    }

    private void StartAttempt(RoundNumber round, int attempt)
    {
        if (_clients.ReachableCount < Needed)
        {
            _log.Warning(
                "Round {Round} attempt {Attempt}: {Registered} clients reachable, fewer than the {Needed} needed; waiting",
                round, attempt, _clients.ReachableCount, Needed);
            Timers.StartSingleTimer(RegistrationTimerKey, new RegistrationDeadline(round, attempt), _settings.RegistrationTimeout);
            WaitingForClients(round, attempt);
            return;
        }

        _firstAttemptStarted = true;
        var current = new RoundAttempt(round, attempt, _clients.Count);
        var context = StrategyContextOf(current);
        string? stop;
        try
        {
            stop = _strategy.BeforeAttempt(context);
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} could not start round {round} attempt {attempt}: {e.Message}");
            return;
        }

        if (stop is not null)
        {
            StopEarly(stop);
            return;
        }

        var asked = SampleFit(round, attempt);
        if (asked.IsEmpty)
        {
            current.Asked = asked;
            FailAttempt(current, $"round {round} (attempt {attempt}): the Poisson draw at rate {_settings.FractionFit} sampled none of the {_clients.ReachableCount} reachable clients");
            return;
        }

        FitPlan plan;
        try
        {
            plan = _strategy.ConfigureFit(context, _global, asked, _settings.Training);
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} could not configure round {round}: {e.Message}");
            return;
        }

        current.Asked = asked;
        _log.Info("Round {Round} attempt {Attempt}: asking {Asked} of {Registered} clients", round, attempt, asked.Length, _clients.Count);
        PhasesBeforeFit(current, asked, previous: null, survivors => StartFit(current, survivors, plan));
    }

    private void StartFit(RoundAttempt current, ImmutableArray<ClientId> participants, FitPlan plan)
    {
        var (round, attempt) = (current.Round, current.Attempt);
        current.Accumulator = _strategy.StartAccumulating(StrategyContextOf(current), _global);
        var global = _global;
        var spec = new PhaseSpec(
            FitPhase,
            // Over-selection keeps the first replies, so there the order of sending would choose whose update counts.
            _settings.FitFirstReplies is null ? _fitOrder.LargestFirst(participants) : participants,
            client =>
            {
                var instructions = plan.For(client);
                return new FitRequest(round, attempt, global, instructions.Config, SeedDerivation.ForClient(_settings.Seed, round, attempt, client), instructions.Extras, _settings.RoundTimeout);
            },
            typeof(FitResult),
            reply => UpdateValidator.Problem((FitResult)reply, global, _settings.MaxUpdateNorm),
            _settings.RoundTimeout,
            _settings.FitUpdatesNeeded,
            _settings.FitFirstReplies,
            current.Accumulator is null ? null : reply => FoldedFitResult.Of((FitResult)reply));
        RunPhase(current, spec, OnFitDone);
    }

    // A phased strategy's extra phases (secure aggregation's key exchanges), each on the survivors
    // of the one before, run on the same runner as fit and evaluation.
    private void PhasesBeforeFit(RoundAttempt current, ImmutableArray<ClientId> participants, PhaseOutcome? previous, Action<ImmutableArray<ClientId>> then)
    {
        var (failed, phase) = _strategy is IPhasedStrategy phased
            ? NextPhase(current, () => phased.NextPhaseBeforeFit(StrategyContextOf(current), participants, previous))
            : (false, null);
        if (failed)
        {
            return;
        }

        if (phase is null)
        {
            then(participants);
            return;
        }

        RunExtraPhase(current, participants, phase, outcome => PhasesBeforeFit(current, [.. outcome.Replies.Select(r => r.Client)], outcome, then));
    }

    private void PhasesAfterFit(RoundAttempt current, ImmutableArray<ClientId> participants, PhaseOutcome previous, Action then)
    {
        var (failed, phase) = _strategy is IPhasedStrategy phased
            ? NextPhase(current, () => phased.NextPhaseAfterFit(StrategyContextOf(current), participants, previous))
            : (false, null);
        if (failed)
        {
            return;
        }

        if (phase is null)
        {
            then();
            return;
        }

        RunExtraPhase(current, participants, phase, outcome => PhasesAfterFit(current, [.. outcome.Replies.Select(r => r.Client)], outcome, then));
    }

    // The strategy's next phase; Failed when it threw (the run has then failed).
    private (bool Failed, ClientPhase? Phase) NextPhase(RoundAttempt current, Func<ClientPhase?> next)
    {
        try
        {
            return (false, next());
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} could not name the next phase of round {current.Round}: {e.Message}");
            return (true, null);
        }
    }

    private void RunExtraPhase(RoundAttempt current, ImmutableArray<ClientId> participants, ClientPhase phase, Action<PhaseOutcome> then)
    {
        var spec = new PhaseSpec(phase.Name, participants, phase.RequestFor, phase.ReplyType, phase.Validate ?? (_ => null), _settings.RoundTimeout, phase.MinReplies, CloseAtReplies: null);
        RunPhase(current, spec, (attempt, run) =>
        {
            if (!run.Succeeded)
            {
                FailAttempt(attempt, $"round {attempt.Round} (attempt {attempt.Attempt}) phase {phase.Name} got {run.Tracker.ReplyCount} valid replies, fewer than the {phase.MinReplies} it needs; dropped: {Describe(run.Tracker.Drops)}");
                return;
            }

            then(Outcome(run));
        });
    }

    private static PhaseOutcome Outcome(PhaseRun run) => new(run.Spec.Name, [.. run.Tracker.Replies.Select(r => r.Value)], run.Tracker.Drops);

    private static string Describe(ImmutableArray<ClientDrop> drops) =>
        drops.IsEmpty ? "none" : string.Join("; ", drops.Select(d => $"{d.Client} {d.Reason}: {d.Detail}"));

    // The phase runner's host: sends the requests, feeds the phase what concerns it, and continues
    // the round when it is done. Nothing here knows what the phase is for.
    private void RunPhase(RoundAttempt current, PhaseSpec spec, Action<RoundAttempt, PhaseRun> then)
    {
        var phase = new PhaseRun(spec, current.Round, current.Attempt);

        // The deadline exists before any request leaves, so whoever sees a request can rely on it.
        Timers.StartSingleTimer(PhaseTimerKey, new PhaseDeadline(current.Round, current.Attempt, spec.Name), spec.Timeout);
        var sendingStarted = current.Elapsed;
        foreach (var client in spec.Participants)
        {
            _clients.ActorOf(client).Tell(spec.RequestFor(client));
        }

        if (spec.Name == FitPhase)
        {
            current.SamplingTime = sendingStarted;
            current.SendingTime = current.Elapsed - sendingStarted;
        }

        void ContinueIfDone()
        {
            if (phase.IsDone)
            {
                Timers.Cancel(PhaseTimerKey);
                phase.End();
                Finish(phase);
            }
        }

        void Finish(PhaseRun done)
        {
            current.Phases.Add(done.ToRecord());
            _globalMayBeRead |= done.Tracker.Drops.Any(d => d.Reason is DropReason.TimedOut or DropReason.NotNeeded or DropReason.Unreachable or DropReason.Reregistered);
            _log.Info(
                "Round {Round} {Phase}: {Replies} replies and {Drops} drops in {Milliseconds:F0} ms",
                current.Round, done.Spec.Name, done.Tracker.ReplyCount, done.Tracker.Drops.Length, done.Duration.TotalMilliseconds);
            then(current, done);
        }

        Become(() =>
        {
            Receive<IPhaseReply>(phase.Answers, reply =>
            {
                if (!_clients.IsFrom(reply.Client, Sender))
                {
                    _log.Warning("Round {Round} {Phase}: ignoring a reply in the name of {Client} from {Sender}, which is not its registered actor", current.Round, spec.Name, reply.Client, Sender);
                    ReleaseUpdate(reply);
                    return;
                }

                var wasPending = phase.Tracker.IsPending(reply.Client);
                if (phase.Take(reply) is { } drop)
                {
                    LogDrop(current, drop);
                    ReleaseUpdate(reply);
                }
                else if (!wasPending)
                {
                    ReleaseUpdate(reply);
                }
                else if (reply is FitResult fit && current.Accumulator is { } accumulator)
                {
                    // Folded, the update is the coordinator's to give back: the tracker kept its metadata only.
                    accumulator.Add(ToUpdate(fit));
                    ReleaseUpdate(fit);
                }

                ContinueIfDone();
            });
            Receive<PhaseDeadline>(m => m.Round == current.Round && m.Attempt == current.Attempt && m.Phase == spec.Name, _ =>
            {
                foreach (var late in phase.ReachDeadline())
                {
                    _timedOut.Add((late, current.Round, current.Attempt, spec.Name));
                    _log.Warning("Round {Round} {Phase}: client {Client} did not reply within {Timeout}", current.Round, spec.Name, late, spec.Timeout);
                }

                Finish(phase);
            });
            void OnStopped(IActorRef actor)
            {
                if (Unregister(actor) is { } id)
                {
                    DropFromPhase(current, phase, id, DropReason.Stopped, "the client's actor stopped");
                    ContinueIfDone();
                }
            }

            Receive<Terminated>(m => OnStopped(m.ActorRef));
            Receive<ClientStopped>(m => OnStopped(m.Actor));
            Receive<NodeUnreachable>(m =>
            {
                foreach (var id in _clients.MarkUnreachable(m.Node))
                {
                    DropFromPhase(current, phase, id, DropReason.Unreachable, $"its node {m.Node} became unreachable");
                }

                ContinueIfDone();
            });
            Receive<RegisterClient>(m =>
            {
                Register(m.Client, node: null, phase);
                ContinueIfDone();
            });
            Receive<RegisterClientOnNode>(m =>
            {
                Register(m.Client, m.Node, phase);
                ContinueIfDone();
            });
            Receive<RegisterClients>(m =>
            {
                Register(m, phase);
                ContinueIfDone();
            });
            ReceiveOutsidePhases();
        });
    }

    private void OnFitDone(RoundAttempt current, PhaseRun fit)
    {
        // Streamed, the tracker kept each reply's metadata; buffered, the whole reply.
        var kept = fit.Tracker.Replies.Select(r => r.Value).ToList();
        var replies = kept.Select(FoldedFitResult.Of).ToList();
        replies.ForEach(r => _fitOrder.Record(r.Client, r.SampleCount));
        current.Answered = [.. replies.Select(r => r.Client)];
        current.FitTime = fit.Duration;
        if (replies.Count > 0)
        {
            double samples = replies.Sum(r => (double)r.SampleCount);
            current.TrainLoss = replies.Sum(r => r.Loss * r.SampleCount) / samples;
            current.TrainAccuracy = replies.Sum(r => r.Accuracy * r.SampleCount) / samples;
        }

        var enough = fit.Succeeded || (_settings.AcceptFailures && replies.Count > 0);
        var ruleMet = replies.Count >= _strategy.MinimumUpdates;
        if (!enough || !ruleMet)
        {
            var shortfall = !ruleMet
                ? $"fewer than strategy {_strategy.Name} needs: {_strategy.MinimumUpdatesRule}"
                : _settings.Sampling != SamplingRule.FixedSize
                ? "none from the Poisson draw"
                : $"fewer than min-fit-clients {_settings.MinFitClients}{(_settings.AcceptFailures ? string.Empty : " (accept-failures is off)")}";
            kept.ForEach(ReleaseUpdate);
            FailAttempt(current, $"round {current.Round} (attempt {current.Attempt}) got {replies.Count} valid updates, {shortfall}; dropped: {Describe(fit.Tracker.Drops)}");
            return;
        }

        // Local DP's epsilon is the clients' to report (streamed or not); the round records the worst-off client's.
        var clientPrivacy = LocalPrivacyLoss.MaxOverClients(replies.Select(r => r.Metrics));
        PhasesAfterFit(current, current.Answered, Outcome(fit), () => Aggregate(current, [.. kept.OfType<FitResult>()], clientPrivacy));
    }

    // Records a failed attempt, then retries the round (with new seeds) or fails the run. The
    // uninterrupted run counts the failed attempt's step: so must a run resumed after it.
    private void FailAttempt(RoundAttempt current, string reason) => SaveSpentThen(current, () => RecordFailedAttempt(current, reason));

    private void RecordFailedAttempt(RoundAttempt current, string reason)
    {
        var record = current.ToRecord(reason, TakeStragglers());
        _history.Add(record);
        _listener.Tell(new AttemptFailed(record));
        if (_stopAfterRound is { } stop)
        {
            Stop(stop);
        }
        else if (current.Attempt <= _settings.MaxRoundRetries)
        {
            _log.Warning("{Reason}; retrying", reason);
            StartAttempt(current.Round, current.Attempt + 1);
        }
        else
        {
            Fail($"{reason}; no retries left (max-round-retries {_settings.MaxRoundRetries})");
        }
    }

    private void Aggregate(RoundAttempt current, List<FitResult> replies, ImmutableSortedDictionary<string, double> clientPrivacy)
    {
        // Off the coordinator's thread: an aggregation can cost far more than a pass over the updates.
        var clock = Stopwatch.StartNew();
        var context = StrategyContextOf(current);
        var global = _global;
        var accumulator = current.Accumulator;
        var strategy = _strategy;
        Task.Run(() =>
            {
                if (accumulator is not null)
                {
                    return accumulator.Complete();
                }

                // Buffered: the strategy has copied what it keeps, so the updates go back to the pool
                // (whether it succeeded or threw), unless one of them is the result itself.
                AggregationResult? result = null;
                try
                {
                    return result = strategy.AggregateFit(context, global, replies.Select(ToUpdate).ToList());
                }
                finally
                {
                    foreach (var reply in replies)
                    {
                        ReleaseUpdate(reply, global, result?.Global);
                    }
                }
            })
            .PipeTo(
                Self,
                success: result => new Aggregated(current.Round, current.Attempt, result with { Metrics = result.Metrics.SetItems(clientPrivacy) }, null, clock.Elapsed),
                failure: e => new Aggregated(current.Round, current.Attempt, null, e.GetBaseException().Message, clock.Elapsed));
        Become(() =>
        {
            Receive<Aggregated>(m => m.Round == current.Round && m.Attempt == current.Attempt, m => OnAggregated(current, m));
            ReceiveBetweenPhases();
        });
    }

    private void OnAggregated(RoundAttempt current, Aggregated aggregated)
    {
        current.AggregateTime = aggregated.Elapsed;
        if (aggregated.Result is not { } result)
        {
            Fail($"strategy {_strategy.Name} failed to aggregate round {current.Round}: {aggregated.Error}");
            return;
        }

        // Released: what it spent is durable before anything reads the noised model (even an unusable one: it was made).
        SaveSpentThen(current, () => TakeAggregate(current, result));
    }

    private void TakeAggregate(RoundAttempt current, AggregationResult result)
    {
        var mismatch = _global.Layout.DescribeMismatch(result.Global.Layout);
        if (mismatch is not null || !result.Global.AllFinite())
        {
            Fail($"strategy {_strategy.Name} produced an unusable model in round {current.Round}: {mismatch ?? "it contains NaN or infinity"}");
            return;
        }

        // The model it replaces goes back to the pool unless a request that carried it is still
        // unanswered (a straggler, an over-selected or unreachable client may yet read it).
        var previous = _global;
        _global = result.Global;
        if (!_globalMayBeRead && !_globalIsTheCallers && !ReferenceEquals(previous, _global))
        {
            previous.Release();
        }

        _globalMayBeRead = false;
        _globalIsTheCallers &= ReferenceEquals(previous, _global);
        current.Metrics = result.Metrics;
        if (_evaluationWorker is null)
        {
            StartFederatedEvaluation(current);
        }
        else
        {
            StartCentralEvaluation(current);
        }
    }

    private void StartCentralEvaluation(RoundAttempt current)
    {
        var clock = Stopwatch.StartNew();
        _evaluationWorker!.Tell(new EvaluateGlobalModel(current.Round, _global));
        Become(() =>
        {
            Receive<GlobalModelEvaluated>(m => m.Round == current.Round, m =>
            {
                current.TestLoss = m.Evaluation.Loss;
                current.TestAccuracy = m.Evaluation.Accuracy;
                current.EvaluateTime = clock.Elapsed;
                if (current.Round == RoundNumber.Initial)
                {
                    CompleteRound(current);
                }
                else
                {
                    StartFederatedEvaluation(current);
                }
            });
            Receive<GlobalModelEvaluationFailed>(m => m.Round == current.Round, m =>
                Fail($"centralised evaluation after round {m.Round} failed: {m.Reason}"));
            ReceiveBetweenPhases();
        });
    }

    private void StartFederatedEvaluation(RoundAttempt current)
    {
        var due = _settings.FederatedEvaluation && (current.Round.Value % _settings.EvaluateEvery == 0 || current.Round.Value == _settings.Rounds);
        var reachable = _clients.ReachableCount;
        if (!due)
        {
            CompleteRound(current);
            return;
        }

        if (reachable < _settings.MinEvaluateClients)
        {
            _log.Warning("Round {Round}: {Reachable} clients reachable, fewer than min-evaluate-clients {Min}; no federated evaluation", current.Round, reachable, _settings.MinEvaluateClients);
            CompleteRound(current);
            return;
        }

        var sampled = ClientSampler.Sample(_clients.Reachable, _settings.FractionEvaluate, _settings.MinEvaluateClients, SeedDerivation.ForRound(_settings.Seed, "evaluate", current.Round, current.Attempt));
        Parameters global;
        try
        {
            global = _strategy.ConfigureEvaluate(StrategyContextOf(current), _global);
        }
        catch (Exception e)
        {
            Fail($"strategy {_strategy.Name} could not configure the federated evaluation of round {current.Round}: {e.Message}");
            return;
        }

        var spec = new PhaseSpec(
            EvaluatePhase,
            sampled,
            _ => new EvaluateRequest(current.Round, current.Attempt, global, _settings.RoundTimeout),
            typeof(EvaluateResult),
            reply => reply is EvaluateResult { SampleCount: <= 0 } r ? $"sample count {r.SampleCount} is not positive" : null,
            _settings.RoundTimeout,
            _settings.MinEvaluateClients,
            CloseAtReplies: null);
        RunPhase(current, spec, (attempt, phase) =>
        {
            attempt.FederatedEvaluateTime = phase.Duration;
            if (phase.Succeeded)
            {
                var results = phase.Tracker.Replies
                    .Select(r => (EvaluateResult)r.Value)
                    .Select(r => new ClientEvaluation(r.Client, r.SampleCount, r.Loss, r.Accuracy))
                    .ToList();
                try
                {
                    attempt.Federated = _strategy.AggregateEvaluate(StrategyContextOf(attempt), results);
                }
                catch (Exception e)
                {
                    Fail($"strategy {_strategy.Name} failed to aggregate the federated evaluation of round {attempt.Round}: {e.Message}");
                    return;
                }
            }
            else
            {
                _log.Warning("Round {Round}: federated evaluation got {Replies} results, fewer than min-evaluate-clients {Min}", attempt.Round, phase.Tracker.ReplyCount, _settings.MinEvaluateClients);
            }

            CompleteRound(attempt);
        });
    }

    private void CompleteRound(RoundAttempt current)
    {
        var record = current.ToRecord(failure: null, TakeStragglers());
        _history.Add(record);
        _log.Info(
            "Round {Round} complete: train loss {TrainLoss:F4}, test loss {TestLoss:F4}, test accuracy {TestAccuracy:F4}",
            record.Round, record.TrainLoss, record.TestLoss, record.TestAccuracy);
        if (record.Round.Value > 0 && _start.SaveCheckpoint is { } save)
        {
            try
            {
                save(new RunCheckpoint(record.Round, _global, _history.ToImmutable(), _strategy.ExportState()));
            }
            catch (Exception e)
            {
                Fail($"could not write the checkpoint after round {record.Round}: {e.Message}");
                return;
            }
        }

        _lastCompleted = record.Round;
        _listener.Tell(new RoundCompleted(record));
        if (record.Round.Value >= _settings.Rounds)
        {
            _log.Info("Run complete after {Rounds} rounds", _settings.Rounds);
            _listener.Tell(new RunCompleted(_history.ToImmutable(), _global));
            Finished();
        }
        else if (_stopAfterRound is { } stop)
        {
            Stop(stop);
        }
        else
        {
            StartAttempt(record.Round.Next(), attempt: 1);
        }
    }

    // What an accounted strategy has spent, made durable (PrivacySpentRecord says when, and why
    // then), and only then the round goes on; the run fails when it cannot be. A store that
    // writes elsewhere acknowledges later: the coordinator waits between phases meanwhile.
    private void SaveSpentThen(RoundAttempt current, Action then)
    {
        if (_start.SaveSpent is not { } save || _strategy is not IAccountedStrategy accounted)
        {
            then();
            return;
        }

        var what = $"could not record the privacy spent by round {current.Round} attempt {current.Attempt}";
        Task saved;
        try
        {
            saved = save(new PrivacySpentRecord(current.Round, current.Attempt, accounted.ExportSpent()));
        }
        catch (Exception e)
        {
            Fail($"{what}: {e.Message}");
            return;
        }

        if (saved.IsCompletedSuccessfully)
        {
            then();
            return;
        }

        saved.PipeTo(Self, success: () => new SpentSaved(current.Round, current.Attempt, null), failure: e => new SpentSaved(current.Round, current.Attempt, e.GetBaseException().Message));
        Become(() =>
        {
            Receive<SpentSaved>(m => m.Round == current.Round && m.Attempt == current.Attempt, m =>
            {
                if (m.Error is { } error)
                {
                    Fail($"{what}: {error}");
                }
                else
                {
                    then();
                }
            });
            ReceiveBetweenPhases();
        });
    }

    // The draw of an attempt's clients: a fixed-size seeded sample, or Poisson sampling under central DP.
    private ImmutableArray<ClientId> SampleFit(RoundNumber round, int attempt)
    {
        var seed = SeedDerivation.ForRound(_settings.Seed, "sample", round, attempt);
        return _settings.Sampling switch
        {
            SamplingRule.Poisson => PoissonSampler.Sample(_clients.Reachable, _settings.FractionFit, Privacy.NoiseSource.Secure()),
            SamplingRule.PoissonSeededNonPrivate => PoissonSampler.Sample(_clients.Reachable, _settings.FractionFit, Privacy.NoiseSource.SeededNonPrivate((ulong)seed)),
            _ => ClientSampler.Sample(_clients.Reachable, _settings.FractionFit, _settings.MinFitClients, seed),
        };
    }

    // A graceful end before the next attempt: the model and the records so far are the run's result.
    private void StopEarly(string reason)
    {
        Timers.CancelAll();
        _log.Warning("Run stopped before its last round: {Reason}", reason);
        _listener.Tell(new RunCompleted(_history.ToImmutable(), _global) { StopReason = reason });
        Finished();
    }

    // Stopped on request: the checkpoint of the last completed round is the one to resume from.
    private void Stop(string reason)
    {
        Timers.CancelAll();
        _log.Warning("Run stopped after round {Round}: {Reason}", _lastCompleted, reason);
        _listener.Tell(new RunStopped(reason, _lastCompleted, _history.ToImmutable()));
        Finished();
    }

    private void OnStopRequest(StopRun request)
    {
        if (!request.FinishRound)
        {
            Stop(request.Reason);
            return;
        }

        _log.Warning("Stopping after the round in progress: {Reason}", request.Reason);
        _stopAfterRound = request.Reason;
    }

    private void Fail(string reason)
    {
        Timers.CancelAll();
        _log.Error("Run failed: {Reason}", reason);
        _listener.Tell(new RunFailed(reason, _history.ToImmutable()));
        Finished();
    }

    private void Finished()
    {
        Become(() =>
        {
            Receive<RegisterClient>(m => Register(m.Client, node: null, phase: null));
            Receive<RegisterClientOnNode>(m => Register(m.Client, m.Node, phase: null));
            Receive<RegisterClients>(m => Register(m, phase: null));

            // The run is over: a stop request that crossed its end has nothing to stop.
            Receive<StopRun>(_ => { });
            ReceiveOutsidePhases();
        });
    }

    // Between two phases of a round (aggregating, centrally evaluating): registrations and losses
    // still count for the next phase, and nobody is pending.
    private void ReceiveBetweenPhases()
    {
        Receive<RegisterClient>(m => Register(m.Client, node: null, phase: null));
        Receive<RegisterClientOnNode>(m => Register(m.Client, m.Node, phase: null));
        Receive<RegisterClients>(m => Register(m, phase: null));
        ReceiveOutsidePhases();
    }

    private void ReceiveOutsidePhases()
    {
        Receive<Terminated>(m => Unregister(m.ActorRef));
        Receive<ClientStopped>(m => Unregister(m.Actor));
        Receive<NodeUnreachable>(m => _clients.MarkUnreachable(m.Node));
        Receive<NodeReachable>(m => _clients.MarkReachable(m.Node));
        Receive<IPhaseReply>(OnLateReply);
        Receive<StopRun>(OnStopRequest);

        // Timer ticks that lost a race with a completed phase, and results of stale work, are
        // expected after a deadline: not worth a dead letter.
        Receive<PhaseDeadline>(_ => { });
        Receive<RegistrationDeadline>(_ => { });
        Receive<Aggregated>(_ => { });
        Receive<SpentSaved>(_ => { });
        Receive<GlobalModelEvaluated>(_ => { });
        Receive<GlobalModelEvaluationFailed>(_ => { });
    }

    private void OnLateReply(IPhaseReply reply)
    {
        ReleaseUpdate(reply);
        var phase = reply switch
        {
            ClientFailed f => f.Phase,
            EvaluateResult => EvaluatePhase,
            _ => FitPhase,
        };
        if (!_timedOut.Remove((reply.Client, reply.Round, reply.Attempt, phase)))
        {
            _log.Debug("Ignoring a late {Reply} from {Client} for round {Round} attempt {Attempt}", reply.GetType().Name, reply.Client, reply.Round, reply.Attempt);
            return;
        }

        if (reply is ClientFailed { Cancelled: true })
        {
            return;
        }

        // It finished after its deadline instead of honouring the token: it held its training thread all along.
        _stragglers.Add(new Straggler(reply.Client, phase, reply.Round, reply.Attempt));
        _log.Warning(
            "Client {Client}'s trainer ignored its cancellation: its {Phase} for round {Round} attempt {Attempt} finished after the deadline and kept its training thread until then",
            reply.Client, phase, reply.Round, reply.Attempt);
    }

    private ImmutableArray<Straggler> TakeStragglers()
    {
        var taken = _stragglers.ToImmutableArray();
        _stragglers.Clear();
        return taken;
    }

    private void Register(ClientId client, Address? node, PhaseRun? phase)
    {
        Sender.Tell(new ClientRegistered(client));
        Register(client, Sender, node, phase, watch: true);
    }

    private void Register(RegisterClients batch, PhaseRun? phase)
    {
        // Not watched: their shard reports each one's stop (ClientStopped).
        foreach (var (client, actor) in batch.Clients)
        {
            Register(client, actor, node: null, phase, watch: false);
        }

        Sender.Tell(new ClientsRegistered(batch.Clients.Length));
    }

    private void Register(ClientId client, IActorRef actor, Address? node, PhaseRun? phase, bool watch)
    {
        var replaced = _clients.Register(client, actor, node);
        if (replaced is not null)
        {
            // The same client from a new actor (a restart, a reconnect): the newest wins, and a
            // request the old actor was working on will never be answered by the new one.
            Context.Unwatch(replaced);
            if (phase is not null && phase.Drop(client, DropReason.Reregistered, "it registered again from a new actor while its request was pending"))
            {
                LogDrop(phase.Round, phase.Spec.Name, client, DropReason.Reregistered, "registered again from a new actor");
            }
        }

        if (watch)
        {
            Context.Watch(actor);
        }

        if (_settings.LogVerbose)
        {
            _log.Info("Client {Client} registered ({Registered} in all)", client, _clients.Count);
        }
    }

    private ClientId? Unregister(IActorRef actor)
    {
        var client = _clients.Unregister(actor);
        if (client is { } id)
        {
            _log.Warning("Client {Client} stopped; {Remaining} clients remain registered", id, _clients.Count);
        }

        return client;
    }

    private void DropFromPhase(RoundAttempt current, PhaseRun phase, ClientId client, DropReason reason, string detail)
    {
        if (phase.Drop(client, reason, detail))
        {
            LogDrop(current.Round, phase.Spec.Name, client, reason, detail);
        }
    }

    private void LogDrop(RoundAttempt current, ClientDrop drop) => LogDrop(current.Round, drop.Phase, drop.Client, drop.Reason, drop.Detail);

    private void LogDrop(RoundNumber round, string phase, ClientId client, DropReason reason, string detail) =>
        _log.Warning("Round {Round} {Phase}: dropped client {Client} ({Reason}): {Detail}", round, phase, client, reason, detail);

    private StrategyContext StrategyContextOf(RoundAttempt current) =>
        new(current.Round, current.Attempt, current.Registered, SeedDerivation.ForRound(_settings.Seed, "strategy", current.Round, current.Attempt));

    // An update the coordinator is done with (folded, aggregated, invalid, late, or from an actor
    // that no longer speaks for its client) goes back to the pool; nothing else reads it.
    private void ReleaseUpdate(IPhaseReply reply) => ReleaseUpdate(reply, _global, null);

    private static void ReleaseUpdate(IPhaseReply reply, Parameters global, Parameters? result)
    {
        if (reply is FitResult { Updated: var updated } && !ReferenceEquals(updated, global) && !ReferenceEquals(updated, result))
        {
            updated.Release();
        }
    }

    private static ClientUpdate ToUpdate(FitResult r) => new(r.Client, r.Updated, r.SampleCount, r.Extras, r.Metrics);

    private sealed record PhaseDeadline(RoundNumber Round, int Attempt, string Phase) : INoSerializationVerificationNeeded;

    private sealed record RegistrationDeadline(RoundNumber Round, int Attempt) : INoSerializationVerificationNeeded;

    private sealed record Aggregated(RoundNumber Round, int Attempt, AggregationResult? Result, string? Error, TimeSpan Elapsed) : INoSerializationVerificationNeeded;

    private sealed record SpentSaved(RoundNumber Round, int Attempt, string? Error) : INoSerializationVerificationNeeded;
}
