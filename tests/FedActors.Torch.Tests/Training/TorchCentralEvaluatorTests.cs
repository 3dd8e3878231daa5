using FedActors.Torch.Models;
using FedActors.Torch.Training;

namespace FedActors.Torch.Tests.Training;

public sealed class TorchCentralEvaluatorTests
{
    public TorchCentralEvaluatorTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void Evaluate_OnSeveralThreads_GivesTheSameFiguresAsOnOne()
    {
        // given a model and the 1,000-image test slice (not a multiple of 3, so chunks differ in size)
        var data = TestEnvironment.FashionMnistSlice;
        var parameters = ModelFactory.InitialParameters(ModelKind.NiidCnn, seed: 9);

        // when it is evaluated on one thread and on three
        var single = new TorchCentralEvaluator(ModelKind.NiidCnn, data.Test, parallelism: 1).Evaluate(parameters);
        var parallel = new TorchCentralEvaluator(ModelKind.NiidCnn, data.Test, parallelism: 3).Evaluate(parameters);

        // then it covers the same samples with the same accuracy and, up to summation order, the same loss
        Assert.Equal(single.SampleCount, parallel.SampleCount);
        Assert.Equal(single.Accuracy, parallel.Accuracy);
        Assert.Equal(single.Loss, parallel.Loss, 1e-5);
    }

    [Fact]
    public void Evaluate_OnSeveralThreads_RepeatsExactly()
    {
        var data = TestEnvironment.FashionMnistSlice;
        var parameters = ModelFactory.InitialParameters(ModelKind.LogisticRegression, seed: 2);
        var evaluator = new TorchCentralEvaluator(ModelKind.LogisticRegression, data.Test, parallelism: 2);
        Assert.Equal(evaluator.Evaluate(parameters), evaluator.Evaluate(parameters));
    }
}
