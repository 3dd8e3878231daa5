using System.Runtime.CompilerServices;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>What the fit phase keeps of a reply once a streaming strategy has folded it: its metadata, not its parameters.</summary>
public sealed class StreamedRepliesTests : CoordinatorTestKit
{
    public StreamedRepliesTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void FitPhase_WhenTheStrategyStreams_KeepsNoFoldedUpdateWhileItWaitsForTheRest()
    {
        // given FedAvg, which streams, watched through its accumulator, and three clients
        var watched = new WatchedFedAvg();
        var (coordinator, listener) = StartCoordinator(Settings() with { MinFitClients = 3 }, strategy: watched);
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when c1's update is folded while c2 and c3 still train
        Answer(clients[0], "c1", TestParameters.Filled(3f), samples: 2);
        AwaitCondition(() => watched.Folded.Count == 1);
        var folded = watched.Folded[0];

        // then nothing in the coordinator holds c1's parameters any more (the tracker kept its metadata)
        Assert.False(IsAliveAfterCollection(folded), "the coordinator still references a folded update's parameters");

        // and the round still completes with the metadata's train loss and the full mean
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(1f), samples: 1);
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c2", "c3"], record.Answered.Select(c => c.Value));
        Assert.Equal(0.5, record.TrainLoss);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(2f, v));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsAliveAfterCollection(WeakReference reference)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return reference.IsAlive;
    }

    private sealed class WatchedFedAvg : IStrategy
    {
        private readonly FedAvg _inner = new();

        public List<WeakReference> Folded { get; } = [];

        public string Name => "watched-fedavg";

        public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
            throw new InvalidOperationException("the streaming path must be used");

        public IUpdateAccumulator StartAccumulating(StrategyContext context, Parameters global) =>
            new Watching(this, ((IStrategy)_inner).StartAccumulating(context, global)!);

        private sealed class Watching(WatchedFedAvg owner, IUpdateAccumulator inner) : IUpdateAccumulator
        {
            public void Add(ClientUpdate update)
            {
                inner.Add(update);
                lock (owner.Folded)
                {
                    owner.Folded.Add(new WeakReference(update.Parameters));
                }
            }

            public AggregationResult Complete() => inner.Complete();
        }
    }
}
