using Akka.Actor;
using Akka.Configuration;
using Akka.TestKit;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Support;

/// <summary>
/// A <see cref="RoundCoordinator"/> under test with scripted clients (TestProbes): small
/// settings, the coordinator and its listener, registration, and the clients' answers.
/// </summary>
public abstract class CoordinatorTestKit : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>Each phase's deadline in <see cref="Settings"/>; advance the virtual clock by it to reach one.</summary>
    protected static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);

    private int _probes;

    /// <summary>Starts the test's actor system from <paramref name="config"/> (a <see cref="TestConfigs"/> configuration).</summary>
    protected CoordinatorTestKit(Config config)
        : base(config)
    {
    }

    /// <summary>The virtual clock; only for systems started from <see cref="TestConfigs.VirtualTime"/>.</summary>
    protected TestScheduler VirtualClock => (TestScheduler)Sys.Scheduler;

    /// <summary>One round, three clients needed, all sampled, two valid updates needed, no retries, no federated evaluation.</summary>
    protected RoundCoordinatorSettings Settings() => RoundCoordinatorSettings.Create(Sys) with
    {
        Rounds = 1,
        MinAvailableClients = 3,
        FractionFit = 1.0,
        MinFitClients = 2,
        RoundTimeout = RoundTimeout,
        AcceptFailures = false,
        MaxRoundRetries = 0,
        FractionEvaluate = 0,
    };

    /// <summary>A coordinator with FedAvg (or <paramref name="strategy"/>) from an all-zero model (or <paramref name="initial"/>), and the probe that listens to it.</summary>
    protected (IActorRef Coordinator, TestProbe Listener) StartCoordinator(
        RoundCoordinatorSettings settings,
        ICentralEvaluator? evaluator = null,
        Parameters? initial = null,
        int clientsBeforeFirstRound = 0,
        IStrategy? strategy = null)
    {
        var listener = CreateTestProbe("listener-" + Interlocked.Increment(ref _probes));
        var coordinator = Sys.ActorOf(RoundCoordinator.Props(
            settings, strategy ?? new FedAvg(), initial ?? TestParameters.Filled(0f), evaluator, listener.Ref, clientsBeforeFirstRound));
        return (coordinator, listener);
    }

    /// <summary>One new probe per id, each registered and acknowledged, in order.</summary>
    protected TestProbe[] RegisterClients(IActorRef coordinator, params string[] ids) => ids.Select(id => Register(coordinator, id)).ToArray();

    /// <summary>A new probe (in <paramref name="system"/>, by default the test's) registered as <paramref name="id"/> and acknowledged.</summary>
    protected TestProbe Register(IActorRef coordinator, string id, ActorSystem? system = null)
    {
        var probe = CreateTestProbe(system ?? Sys, $"{id}-{Interlocked.Increment(ref _probes)}");
        probe.Send(coordinator, new RegisterClient(new ClientId(id)));
        probe.ExpectMsg<ClientRegistered>();
        return probe;
    }

    /// <summary>Waits for the client's fit request and answers it with <paramref name="updated"/>; returns the request.</summary>
    protected static FitRequest Answer(TestProbe client, string id, Parameters updated, int samples = 1)
    {
        var request = client.ExpectMsg<FitRequest>();
        client.Reply(FitResultFor(id, request, updated, samples));
        return request;
    }

    /// <summary>Waits for the client's evaluation request and answers it; returns the request.</summary>
    protected static EvaluateRequest AnswerEvaluation(TestProbe client, string id, int samples, double loss, double accuracy)
    {
        var request = client.ExpectMsg<EvaluateRequest>();
        client.Reply(new EvaluateResult(new ClientId(id), request.Round, request.Attempt, samples, loss, accuracy));
        return request;
    }

    /// <summary>The client's update for <paramref name="request"/>.</summary>
    protected static FitResult FitResultFor(string id, FitRequest request, Parameters updated, int samples = 1) =>
        new(new ClientId(id), request.Round, request.Attempt, updated, samples, 0.5, 0.5, NamedTensors.Empty, NamedTensors.NoHyperparameters);

    /// <summary>The client's failure report for <paramref name="request"/>.</summary>
    protected static ClientFailed FailureFor(string id, FitRequest request, string reason) =>
        new(new ClientId(id), request.Round, request.Attempt, RoundCoordinator.FitPhase, reason, Cancelled: false);
}
