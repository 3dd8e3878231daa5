using System.Collections.Concurrent;
using FedActors.Core.Server;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Server;

/// <summary>Centralised evaluation of several parts: on the training dispatcher's threads, combined in part order.</summary>
public sealed class CentralEvaluationTests : CoordinatorTestKit
{
    public CentralEvaluationTests()
        : base(TestConfigs.RealTime("fedactors.training.parallelism = 2"))
    {
    }

    [Fact]
    public void Evaluation_OfAnEvaluatorWithParts_RunsEachPartOnATrainingThreadAndCombinesThemInOrder()
    {
        // given an evaluator of three parts of 10, 20 and 30 samples that records where it runs
        var evaluator = new PartsEvaluator();
        var (coordinator, listener) = StartCoordinator(Settings(), evaluator);
        RegisterClients(coordinator, "c1", "c2", "c3");

        // when round 0 evaluates the initial model
        var round0 = listener.ExpectMsg<RoundCompleted>().Record;

        // then the loss is the sample-weighted mean (10*1 + 20*2 + 30*3) / 60, the accuracy the correct share,
        // and every part ran on the training dispatcher, never on the thread pool
        Assert.Equal(140.0 / 60, round0.TestLoss!.Value, 12);
        Assert.Equal((5 + 10 + 15) / 60.0, round0.TestAccuracy!.Value, 12);
        Assert.Equal([0, 1, 2], evaluator.Threads.Keys.Order());
        Assert.All(evaluator.Threads.Values, name => Assert.Contains("training-dispatcher", name));
    }

    private sealed class PartsEvaluator : ICentralEvaluator
    {
        public ConcurrentDictionary<int, string> Threads { get; } = new();

        public int Parts => 3;

        public Evaluation Evaluate(Parameters parameters) => throw new InvalidOperationException("the parts are evaluated one by one");

        public Evaluation EvaluatePart(Parameters parameters, int part)
        {
            Threads[part] = Thread.CurrentThread.Name ?? "(unnamed)";
            var samples = 10 * (part + 1);
            return new Evaluation(samples, part + 1, 0.5);
        }
    }
}
