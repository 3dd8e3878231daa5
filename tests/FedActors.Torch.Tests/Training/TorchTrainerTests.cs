using System.Diagnostics;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FedActors.Torch.Models;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Torch.Tests.Training;

public sealed class TorchTrainerTests
{
    private static readonly ClientId s_client = new("client-0");

    public TorchTrainerTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void Fit_WhenTrainedOnRealFashionMnist_BeatsChanceClearlyAndRepeatsExactly()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;
        var all = Enumerable.Range(0, data.Train.Count).ToArray();
        var factory = new TorchTrainerFactory(ModelKind.Mlp, data.Train, [s_client], [all], data.Test);
        var evaluator = new TorchCentralEvaluator(ModelKind.Mlp, data.Test);
        var global = ModelFactory.InitialParameters(ModelKind.Mlp, seed: 42);
        var task = Task(global, epochs: 3, learningRate: 0.05f, momentum: 0.5f);

        // when
        LocalFit first, second;
        using (var trainer = factory.Create(s_client))
        {
            first = trainer.Fit(task, CancellationToken.None);
        }

        using (var trainer = factory.Create(s_client))
        {
            second = trainer.Fit(task, CancellationToken.None);
        }

        var evaluation = evaluator.Evaluate(first.Updated);

        // then
        Assert.InRange(evaluation.Accuracy, 0.6, 1.0);
        Assert.Equal(data.Test.Count, evaluation.SampleCount);
        Assert.Equal(data.Train.Count, first.SampleCount);
        Assert.Same(global.Layout, first.Updated.Layout);
        Assert.True(first.Updated.Values.SequenceEqual(second.Updated.Values));
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(first.Accuracy, second.Accuracy);
        Assert.Empty(first.Extras);
        Assert.Empty(first.ClientState);
    }

    [Fact]
    public void Fit_WhenTwoClientsTrainOnTwoThreads_GivesTheSameResultsAsOneAfterTheOther()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;
        ClientId[] clients = [new("a"), new("b")];
        int[][] shards = [[.. Enumerable.Range(0, 400)], [.. Enumerable.Range(400, 400)]];
        var factory = new TorchTrainerFactory(ModelKind.NiidCnn, data.Train, clients, shards);
        var global = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 3);
        LocalFit FitOn(int i)
        {
            using var trainer = factory.Create(clients[i]);
            return trainer.Fit(Task(global, epochs: 1, learningRate: 0.05f, momentum: 0.9f, seed: i) with { Client = clients[i] }, CancellationToken.None);
        }

        var sequential = new[] { FitOn(0), FitOn(1) };

        // when
        var parallel = new LocalFit[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => parallel[i] = FitOn(i))).ToArray();
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        // then
        Assert.All(Enumerable.Range(0, 2), i => Assert.True(parallel[i].Updated.Values.SequenceEqual(sequential[i].Updated.Values), $"client {i} differs"));
        Assert.False(parallel[0].Updated.Values.SequenceEqual(parallel[1].Updated.Values));
    }

    [Fact]
    public void Evaluate_WhenTrainerHasNoTestSet_EvaluatesItsOwnShard()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;
        int[] shard = [3, 1, 4, 15, 9, 26];
        var factory = new TorchTrainerFactory(ModelKind.LogisticRegression, data.Train, [s_client], [shard]);
        using var trainer = factory.Create(s_client);

        // when
        var evaluation = trainer.Evaluate(ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 1), CancellationToken.None);

        // then
        Assert.Equal(shard.Length, evaluation.SampleCount);
        Assert.InRange(evaluation.Loss, 0.5, 10);
    }

    [Fact]
    public void Fit_WhenRepeatedManyTimes_LeavesNoTensorAliveAndMemoryFlat()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;
        var shard = Enumerable.Range(0, 640).ToArray();
        var factory = new TorchTrainerFactory(ModelKind.Mlp, data.Train, [s_client], [shard]);
        var global = ModelFactory.InitialParameters(ModelKind.Mlp, seed: 1);
        const int fits = 25;
        RunFits(factory, global, fits);
        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var workingSetBefore = SettledWorkingSet();

        // when
        RunFits(factory, global, fits);
        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var workingSetAfter = SettledWorkingSet();

        // then
        // The live count is exact and catches a missing dispose scope even when the GC's
        // finalizers would later free the leak; the working set catches native leaks behind it.
        Assert.Equal(liveBefore, liveAfter);
        var growthMb = (workingSetAfter - workingSetBefore) / (1024.0 * 1024.0);
        Assert.True(growthMb < 16, $"working set grew {growthMb:F1} MB over {fits} more fits ({fits * 20} batches)");
    }

    [Fact]
    public void Create_WhenClientHasNoShard_ThrowsNamingTheClient()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;
        var factory = new TorchTrainerFactory(ModelKind.LogisticRegression, data.Train, [s_client], [[0, 1]]);

        // when
        var error = Assert.Throws<ArgumentException>(() => factory.Create(new ClientId("stranger")));

        // then
        Assert.Contains("stranger", error.Message);
    }

    [Fact]
    public void Constructor_WhenShardIndexIsOutOfRange_ThrowsNamingTheClient()
    {
        // given
        var data = TestEnvironment.FashionMnistSlice;

        // when
        var error = Assert.Throws<ArgumentException>(() => new TorchTrainerFactory(ModelKind.Cnn, data.Train, [s_client], [[0, data.Train.Count]]));

        // then
        Assert.Contains("client-0", error.Message);
    }

    private static void RunFits(TorchTrainerFactory factory, Parameters global, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var trainer = factory.Create(s_client);
            global = trainer.Fit(Task(global, epochs: 1, learningRate: 0.01f, momentum: 0.9f, seed: i), CancellationToken.None).Updated;
        }
    }

    private static long SettledWorkingSet()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static FitTask Task(Parameters global, int epochs, float learningRate, float momentum, int seed = 7) =>
        new(
            s_client,
            new RoundNumber(1),
            global,
            new FitConfig(epochs, 32, learningRate, momentum, 0.0001f, NamedTensors.NoHyperparameters),
            seed,
            NamedTensors.Empty,
            NamedTensors.Empty);
}
