using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

public sealed class FedAvgTests
{
    private readonly FedAvg _strategy = new();

    [Fact]
    public void Aggregate_WithHandMadeUpdates_EqualsTheSampleWeightedMeanExactly()
    {
        // given three updates with weights 1, 2 and 5 (n = 8), values chosen to be exact in binary
        var updates = new[]
        {
            Update("a", 1, 8, 0, -8, 16, 1, 2),
            Update("b", 2, 4, 4, 0, -4, 1, 6),
            Update("c", 5, 0, 8, 8, 0, 1, 2),
        };

        // when FedAvg aggregates them
        var result = Aggregate(updates);

        // then each value is Σ n_k w_k / n, e.g. (1*8 + 2*4 + 5*0) / 8 = 2
        Assert.Equal([2f, 6f, 4f, 1f, 1f, 3f], result.Values.ToArray());
        Assert.True(result.Layout.Matches(TestParameters.Layout));
    }

    [Fact]
    public void Aggregate_WithASingleUpdate_ReturnsItsValues()
    {
        // given one update
        var only = Update("a", 17, 1, 2, 3, 4, 5, 6);

        // when aggregated
        var result = Aggregate([only]);

        // then the model is that update
        Assert.Equal(only.Parameters.Values.ToArray(), result.Values.ToArray());
    }

    [Fact]
    public void Aggregate_WhenAnUpdateHasAnotherLayout_ThrowsNamingTheMismatch()
    {
        // given an update whose tensor b has 3 values instead of 2
        var other = new ParameterLayout([new TensorSpec("w", [2, 2]), new TensorSpec("b", [3])]);
        var bad = new ClientUpdate(new ClientId("x"), Parameters.Zeros(other), 1, NamedTensors.Empty, NamedTensors.NoHyperparameters);

        // when aggregated
        var error = Assert.Throws<ArgumentException>(() =>
            Aggregate([Update("a", 1, 1, 1, 1, 1, 1, 1), bad]));

        // then the message names the tensor
        Assert.Contains("b[3]", error.Message);
    }

    [Fact]
    public void Aggregate_WhenGivenTheSameUpdatesTwice_IsBitIdentical()
    {
        // given updates with values that do not add exactly in float32
        var random = new Random(5);
        var updates = Enumerable.Range(0, 10)
            .Select(i => Update($"c{i}", random.Next(1, 100), Enumerable.Range(0, 6).Select(_ => (float)random.NextDouble()).ToArray()))
            .ToArray();

        // when aggregated twice
        var a = Aggregate(updates);
        var b = Aggregate(updates);

        // then the results are the same to the bit
        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
    }

    private Parameters Aggregate(IReadOnlyList<ClientUpdate> updates) =>
        _strategy.AggregateFit(new StrategyContext(new RoundNumber(1), 1, updates.Count, Seed: 1), TestParameters.Filled(0f), updates).Global;

    private static ClientUpdate Update(string id, int samples, params float[] values) =>
        new(new ClientId(id), TestParameters.Of(values), samples, NamedTensors.Empty, NamedTensors.NoHyperparameters);
}
