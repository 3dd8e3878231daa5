using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>What the coordinator does with the strategy contract's optional parts: streaming, per-client instructions, evaluation model, minimum of updates, metrics.</summary>
public sealed class StrategyContractTests : CoordinatorTestKit
{
    public StrategyContractTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Round_WithAStreamingStrategy_FoldsEachValidUpdateAsItArrivesAndNeverAnInvalidOne()
    {
        // given a strategy that sums the updates it is handed one at a time, and a client that sends NaN
        var strategy = new SummingStrategy();
        var (coordinator, listener) = StartCoordinator(Settings() with { MinFitClients = 2 }, strategy: strategy);
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when the clients answer
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(float.NaN), samples: 1);
        Answer(clients[2], "c3", TestParameters.Filled(5f), samples: 1);

        // then the accumulator saw exactly the two valid updates, and its result is the new model with its metric
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        Assert.Equal(["c1", "c3"], strategy.Folded);
        Assert.Equal(2.0, record.Metrics["folded"]);
        Assert.All(listener.ExpectMsg<RunCompleted>().Final.Values.ToArray(), v => Assert.Equal(6f, v));
    }

    [Fact]
    public void Round_WithPerClientInstructions_SendsEachClientItsOwn()
    {
        // given a strategy that gives c2 a learning rate of its own
        var (coordinator, _) = StartCoordinator(Settings(), strategy: new SummingStrategy { SpecialLearningRate = ("c2", 0.5f) });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when the round starts / then c2 gets 0.5 and the others the configured rate
        var configured = Settings().Training.LearningRate;
        Assert.Equal(configured, clients[0].ExpectMsg<FitRequest>().Config.LearningRate);
        Assert.Equal(0.5f, clients[1].ExpectMsg<FitRequest>().Config.LearningRate);
        Assert.Equal(configured, clients[2].ExpectMsg<FitRequest>().Config.LearningRate);
    }

    [Fact]
    public void FederatedEvaluation_EvaluatesTheModelTheStrategyConfigures()
    {
        // given federated evaluation on and a strategy that has its clients evaluate the model plus 100
        var (coordinator, _) = StartCoordinator(Settings() with { FractionEvaluate = 1, MinEvaluateClients = 1 }, strategy: new SummingStrategy());
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(1f), samples: 1);
        }

        // when the evaluation phase starts / then each client is asked to evaluate that model
        Assert.All(clients, c => Assert.All(c.ExpectMsg<EvaluateRequest>().Global.Values.ToArray(), v => Assert.Equal(103f, v)));
    }

    [Fact]
    public void Round_WhenFewerValidUpdatesThanTheStrategyNeeds_FailsWithItsRule()
    {
        // given a strategy that needs three updates, and accept-failures on
        var (coordinator, listener) = StartCoordinator(Settings() with { AcceptFailures = true, MinFitClients = 1 }, strategy: new SummingStrategy { Minimum = 3 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");

        // when only two answer before the deadline
        Answer(clients[0], "c1", TestParameters.Filled(1f), samples: 1);
        Answer(clients[1], "c2", TestParameters.Filled(1f), samples: 1);
        clients[2].ExpectMsg<FitRequest>();
        VirtualClock.Advance(RoundTimeout);

        // then the attempt fails with the strategy's rule as the reason
        Assert.Contains("fewer than strategy summing needs: n >= 3 for the test", listener.ExpectMsg<AttemptFailed>().Record.Failure);
    }

    private sealed class SummingStrategy : IStrategy
    {
        public List<string> Folded { get; } = [];

        public (string Client, float Rate)? SpecialLearningRate { get; init; }

        public int Minimum { get; init; } = 1;

        public string Name => "summing";

        public int MinimumUpdates => Minimum;

        public string MinimumUpdatesRule => $"n >= {Minimum} for the test";

        public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, Training.FitConfig baseConfig)
        {
            var common = new FitInstructions(baseConfig, NamedTensors.Empty);
            return SpecialLearningRate is { } special
                ? common.PerClient(new ClientId(special.Client), common with { Config = baseConfig with { LearningRate = special.Rate } })
                : FitPlan.Same(common);
        }

        public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates) =>
            throw new InvalidOperationException("the streaming path must be used");

        public IUpdateAccumulator StartAccumulating(StrategyContext context, Parameters global) => new Sum(this, global.Layout);

        public Parameters ConfigureEvaluate(StrategyContext context, Parameters global) => Aggregation.AddScaled(global, TestParameters.Filled(1f), 100);

        private sealed class Sum(SummingStrategy owner, ParameterLayout layout) : IUpdateAccumulator
        {
            private readonly float[] _sum = new float[layout.TotalLength];

            public void Add(ClientUpdate update)
            {
                owner.Folded.Add(update.Client.Value);
                System.Numerics.Tensors.TensorPrimitives.Add(_sum, update.Parameters.Values, _sum);
            }

            public AggregationResult Complete() =>
                new(Parameters.Copy(layout, _sum), ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal).Add("folded", owner.Folded.Count));
        }
    }
}

file static class FitInstructionsExtensions
{
    public static FitPlan PerClient(this FitInstructions common, ClientId client, FitInstructions own) =>
        new(common, ImmutableDictionary<ClientId, FitInstructions>.Empty.Add(client, own));
}
