using System.Collections.Immutable;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// What every robust strategy does, whatever its rule: built by the catalog from its name with
/// reference.conf's defaults, it rejects a foreign layout, ignores sample counts, takes the buffered
/// path and repeats itself to the bit. One subclass per strategy adds its rule's values.
/// </summary>
public abstract class RobustStrategyContractTests
{
    /// <summary>10,007 values: more than one block of the coordinate-wise rules, and a short last block.</summary>
    protected static readonly ParameterLayout Wide = new([
        new TensorSpec("w", ImmutableArray.Create(100, 100)),
        new TensorSpec("b", ImmutableArray.Create(7)),
    ]);

    /// <summary>The configuration that selects the strategy, over reference.conf.</summary>
    protected abstract string Hocon { get; }

    /// <summary>The strategy's name.</summary>
    protected abstract string ExpectedName { get; }

    /// <summary>The fewest updates it aggregates with reference.conf's defaults.</summary>
    protected abstract int ExpectedMinimumUpdates { get; }

    [Fact]
    public void FromConfig_WithItsNameAndTheDefaults_BuildsItWithItsMinimumOfUpdates()
    {
        // when the catalog builds it
        var strategy = Create();

        // then it has its name and its rule's minimum, and no streaming path
        Assert.Equal((ExpectedName, ExpectedMinimumUpdates), (strategy.Name, strategy.MinimumUpdates));
        Assert.Null(strategy.StartAccumulating(Context(1), TestParameters.Filled(0f)));
    }

    [Fact]
    public void Aggregate_WhenAnUpdateHasAnotherLayout_ThrowsNamingTheMismatch()
    {
        // given valid updates and one whose tensor b has 3 values instead of 2
        var other = new ParameterLayout([new TensorSpec("w", [2, 2]), new TensorSpec("b", [3])]);
        var updates = RandomUpdates(seed: 3, ExpectedMinimumUpdates, TestParameters.Layout).ToList();
        updates.Add(new ClientUpdate(new ClientId("zz"), Parameters.Zeros(other), 1, NamedTensors.Empty, NamedTensors.NoHyperparameters));

        // when aggregated
        var error = Assert.Throws<ArgumentException>(() => Aggregate(Create(), updates));

        // then the message names the tensor
        Assert.Contains("b[3]", error.Message);
    }

    [Fact]
    public void Aggregate_WhenSampleCountsChange_GivesTheSameModel()
    {
        // given the same updates with sample counts 1 and with seeded random counts
        var updates = RandomUpdates(seed: 4, ExpectedMinimumUpdates + 2, Wide);
        var random = new Random(4);
        var reweighted = updates.Select(u => u with { SampleCount = random.Next(1, 1000) }).ToList();

        // when each is aggregated
        var plain = Aggregate(Create(), updates, Parameters.Zeros(Wide));
        var weighted = Aggregate(Create(), reweighted, Parameters.Zeros(Wide));

        // then the rule is unweighted: the models are the same to the bit
        Assert.Equal(TestParameters.Bits(plain), TestParameters.Bits(weighted));
    }

    [Fact]
    public void Aggregate_WhenGivenTheSameUpdatesTwice_IsBitIdentical()
    {
        // given updates with values that do not add exactly in float32
        var updates = RandomUpdates(seed: 5, ExpectedMinimumUpdates + 3, Wide);

        // when aggregated twice, by two instances
        var a = Aggregate(Create(), updates, Parameters.Zeros(Wide));
        var b = Aggregate(Create(), updates, Parameters.Zeros(Wide));

        // then the results are the same to the bit
        Assert.Equal(TestParameters.Bits(a), TestParameters.Bits(b));
    }

    /// <summary>The strategy as the catalog builds it from <see cref="Hocon"/>.</summary>
    protected IStrategy Create() => StrategyCatalog.FromConfig(Configure(Hocon));

    /// <summary><paramref name="hocon"/> over reference.conf.</summary>
    protected static Config Configure(string hocon) => FedActorsConfig.Load(ConfigurationFactory.ParseString(hocon));

    /// <summary>The catalog's error for <paramref name="hocon"/>.</summary>
    protected static ConfigurationException ConfigurationError(string hocon) =>
        Assert.Throws<ConfigurationException>(() => StrategyCatalog.FromConfig(Configure(hocon)));

    /// <summary>Round 1's context.</summary>
    protected static StrategyContext Context(int registered) => new(new RoundNumber(1), 1, registered, Seed: 1);

    /// <summary>The strategy's next model from <paramref name="updates"/>, starting from <paramref name="global"/> (all zeros of the small layout by default).</summary>
    protected static Parameters Aggregate(IStrategy strategy, IReadOnlyList<ClientUpdate> updates, Parameters? global = null) =>
        strategy.AggregateFit(Context(updates.Count), global ?? TestParameters.Filled(0f), updates).Global;

    /// <summary>Asserts that every value is within 1e-5 of the naive rule's (which sums in another order and precision).</summary>
    protected static void AssertClose(float[] expected, Parameters actual)
    {
        var values = actual.Values.ToArray();
        Assert.Equal(expected.Length, values.Length);
        Assert.All(Enumerable.Range(0, expected.Length), j => Assert.Equal(expected[j], values[j], 1e-5f));
    }

    /// <summary>Client "c00", "c01", …'s update of the small layout with the given values and one sample.</summary>
    protected static ClientUpdate Update(int client, params float[] values) => Update(client, TestParameters.Of(values));

    /// <summary>Client "c00", "c01", …'s update with one sample (or <paramref name="samples"/>).</summary>
    protected static ClientUpdate Update(int client, Parameters values, int samples = 1) =>
        new(new ClientId($"c{client:D2}"), values, samples, NamedTensors.Empty, NamedTensors.NoHyperparameters);

    /// <summary>Client k's update at <paramref name="positions"/>[k] on the first coordinate of the small layout, zeros elsewhere, one sample.</summary>
    protected static List<ClientUpdate> OnALine(params float[] positions) =>
        [.. positions.Select((p, k) => Update(k, TestParameters.Of(p, 0, 0, 0, 0, 0)))];

    /// <summary>Each update's parameters.</summary>
    protected static List<Parameters> ValuesOf(IEnumerable<ClientUpdate> updates) => [.. updates.Select(u => u.Parameters)];

    /// <summary>
    /// <paramref name="n"/> seeded updates of <paramref name="layout"/>, in client-id order, with values
    /// k/64 for k in [-640, 640]: exact in float32, and often equal across clients, so ties occur.
    /// </summary>
    protected static IReadOnlyList<ClientUpdate> RandomUpdates(int seed, int n, ParameterLayout layout)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(k =>
            Update(k, Parameters.Wrap(layout, [.. Enumerable.Range(0, layout.TotalLength).Select(_ => random.Next(-640, 641) / 64f)])))];
    }
}
