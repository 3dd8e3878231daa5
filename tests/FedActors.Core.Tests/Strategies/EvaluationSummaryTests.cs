using FedActors.Core.Protocol;
using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

public sealed class EvaluationSummaryTests
{
    [Fact]
    public void WeightedMean_WithTwoClients_EqualsTheHandComputation()
    {
        // given (n=10, loss 1, accuracy 0.5) and (n=30, loss 2, accuracy 0.9)
        var results = new[] { Result("c1", 10, 1, 0.5), Result("c2", 30, 2, 0.9) };

        // when summarised
        var summary = EvaluationSummary.WeightedMean(results);

        // then loss = (10*1 + 30*2)/40 = 1.75 and accuracy = (10*0.5 + 30*0.9)/40 = 0.8, over 2 clients and 40 samples
        Assert.Equal((2, 40L, 1.75), (summary.Clients, summary.SampleCount, summary.Loss));
        Assert.Equal(0.8, summary.Accuracy, precision: 12);
    }

    [Fact]
    public void WeightedMean_WithOneClient_IsThatClientsResult()
    {
        // given one result
        // when summarised
        var summary = EvaluationSummary.WeightedMean([Result("c1", 7, 0.25, 0.75)]);

        // then it is that result
        Assert.Equal(new EvaluationSummary(1, 7, 0.25, 0.75), summary);
    }

    [Fact]
    public void WeightedMean_WithNoResults_Throws()
    {
        // given no results
        // when summarised
        var error = Assert.Throws<ArgumentException>(() => EvaluationSummary.WeightedMean([]));

        // then the error says the list is empty
        Assert.Contains("empty", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void WeightedMean_WhenASampleCountIsNotPositive_ThrowsNamingTheClient(int samples)
    {
        // given a result with a sample count that is not positive
        var results = new[] { Result("c1", 10, 1, 0.5), Result("c2", samples, 2, 0.9) };

        // when summarised
        var error = Assert.Throws<ArgumentException>(() => EvaluationSummary.WeightedMean(results));

        // then the error names the client and its count
        Assert.Contains($"client c2 evaluated {samples} samples", error.Message);
    }

    private static ClientEvaluation Result(string id, int samples, double loss, double accuracy) => new(new ClientId(id), samples, loss, accuracy);
}
