using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Event;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Security;
using FedActors.Cluster.Server;
using FedActors.Core.Checkpoints;
using FedActors.Core.Configuration;
using FedActors.Core.Metrics;
using FedActors.Core.Simulation;

namespace FedActors.Cluster.Failover;

/// <summary>
/// The server of a run as a cluster singleton on the <c>server</c> role: the oldest server node
/// runs it, with the coordinator (<see cref="CoordinatorRun"/>) and the <see cref="ClientGateway"/>
/// as its children, and registers the gateway with its node's receptionist, so the registration
/// moves with it. With the database store it first recovers the store's newest whole checkpoint
/// (<see cref="CheckpointJournal"/>) and resumes from it: a server node that takes over from one
/// that died continues after the last completed round, and the client nodes, which keep saying
/// hello to whichever receptionist answers, register with its new gateway.
/// </summary>
internal sealed class ActiveServer : ReceiveActor, IWithUnboundedStash
{
    private readonly RuntimeSettings _settings;
    private readonly ClusterSettings _cluster;
    private readonly SimulationSetup _setup;
    private readonly CheckpointStoreSettings _store;
    private readonly Action<RoundRecord>? _onRound;
    private readonly ServerNodeState _node;
    private readonly FederationTrust? _trust;
    private readonly AuditLog? _audit;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private IActorRef? _journal;
    private IActorRef? _gateway;
    private IActorRef? _coordinator;
    private string? _startFailure;

    public ActiveServer(RuntimeSettings settings, ClusterSettings cluster, SimulationSetup setup, CheckpointStoreSettings store, Action<RoundRecord>? onRound, ServerNodeState node, FederationTrust? trust, AuditLog? audit)
    {
        _trust = trust;
        _audit = audit;
        _settings = settings;
        _cluster = cluster;
        _setup = setup;
        _store = store;
        _onRound = onRound;
        _node = node;
    }

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    public static Props Props(RuntimeSettings settings, ClusterSettings cluster, SimulationSetup setup, CheckpointStoreSettings store, Action<RoundRecord>? onRound, ServerNodeState node, FederationTrust? trust, AuditLog? audit) =>
        Akka.Actor.Props.Create(() => new ActiveServer(settings, cluster, setup, store, onRound, node, trust, audit));

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (!_store.Sql)
        {
            Run(_setup);
            return;
        }

        _journal = Context.ActorOf(CheckpointJournal.Props(_store.PersistenceId, _store.Name, _setup.RunIdentity, Self), "checkpoint-journal");
        Context.Watch(_journal);
        Become(Recovering);
    }

    /// <inheritdoc />
    /// <remarks>
    /// A child that cannot start (the coordinator refusing a checkpoint whose strategy state does
    /// not fit its strategy) is stopped, and the run fails with its reason rather than waiting
    /// forever; other faults restart the child, as by default.
    /// </remarks>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        if (e is ActorInitializationException)
        {
            var cause = e;
            while (cause.InnerException is not null)
            {
                cause = cause.InnerException;
            }

            _startFailure = cause.Message;
            return Directive.Stop;
        }

        return Directive.Restart;
    });

    /// <inheritdoc />
    protected override void PostStop()
    {
        if (_gateway is not null)
        {
            ClusterClientReceptionist.Get(Context.System).UnregisterService(_gateway);
        }
    }

    private void Recovering()
    {
        Receive<CheckpointsRecovered>(m =>
        {
            if (m.Failure is not null || (m.Newest is null && m.Skipped.Count > 0))
            {
                Fail(m.Failure ?? $"{_store.Name} holds no whole checkpoint to resume from:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", m.Skipped));
                return;
            }

            // The store's checkpoint, or the one the server was started with (--resume), whichever is newer.
            var resume = m.Newest is { } stored && stored.Server.Round.Value >= (_setup.Resume?.Server.Round.Value ?? 0) ? stored : _setup.Resume;
            if (resume is not null)
            {
                _log.Info("Resuming after round {Round} from {Store}", resume.Server.Round, resume == m.Newest ? _store.Name : "the checkpoint the server was started with");
            }

            Run(_setup with { Resume = resume, Checkpoints = new SqlCheckpointStore(_journal!, _store.Name) });
            Stash.UnstashAll();
        });
        Receive<Terminated>(t => t.ActorRef.Equals(_journal), _ => Fail($"{_store.Name} stopped before it was read"));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Running()
    {
        Receive<CheckpointStoreFailed>(m => Fail(m.Reason));
        Receive<Terminated>(t => t.ActorRef.Equals(_coordinator), _ => Fail($"the coordinator stopped: {_startFailure ?? "no reason given"}"));
        Receive<Terminated>(t => t.ActorRef.Equals(_journal), _ => Fail($"{_store.Name} stopped: later rounds could not be checkpointed"));
    }

    private void Run(SimulationSetup setup)
    {
        var run = CoordinatorRun.Start(Context, _settings.Server, setup, clientStates: null, _onRound);
        _coordinator = run.Coordinator;
        Context.Watch(_coordinator);
        _gateway = Context.ActorOf(ClientGateway.Props(run.Coordinator, setup.InitialParameters.Layout, _cluster, _trust, _audit), NodeConfig.GatewayName);
        ClusterClientReceptionist.Get(Context.System).RegisterService(_gateway);
        _log.Info("This server node runs the server now ({Gateway})", _gateway.Path);
        _node.Activated(_gateway, _coordinator, setup.Resume?.Server.Round.Value ?? 0, run.Outcome);
        Become(Running);
    }

    private void Fail(string reason)
    {
        _log.Error("The run cannot go on on this server node: {Reason}", reason);
        _node.Failed(reason);
        Context.Stop(Self);
    }
}
