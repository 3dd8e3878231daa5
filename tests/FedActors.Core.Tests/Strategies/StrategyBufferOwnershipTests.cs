using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// The ownership rule from the strategy's side: the coordinator gives a round's update buffers
/// and the replaced global model back to the pool, and the pool hands them out again, so a
/// strategy keeps copies of whatever it keeps.
/// </summary>
public sealed class StrategyBufferOwnershipTests
{
    private static readonly ParameterLayout Layout = new([new TensorSpec("w", [3, 11]), new TensorSpec("b", [5])]);

    // SCAFFOLD, FedDyn, FedDual and FedNova read extras or metrics their clients send; the rest need none.
    public static TheoryData<string> StrategiesWithoutClientParts =>
        ["fedavg", "fedprox", "fedavgm", "fedadagrad", "fedadam", "fedyogi", "fedmedian", "trimmed-mean", "krum", "bulyan", "norm-bounding"];

    [Theory]
    [MemberData(nameof(StrategiesWithoutClientParts))]
    public void Strategy_WhenItsInputsAreReleasedAndReusedAfterEachRound_GivesWhatItGivesWithFreshBuffers(string name)
    {
        // given the same three rounds run twice: with fresh buffers, and with pooled buffers released and scribbled over after each aggregation
        var fresh = Run(name, pool: null);
        var pooled = Run(name, new ParameterBufferPool(maxBuffersPerLength: 64));

        // then the models and the kept state are the same bits: nothing the strategy kept was a buffer it did not own
        Assert.Equal(fresh, pooled);
    }

    private static List<int[]> Run(string name, ParameterBufferPool? pool)
    {
        var strategy = StrategyCatalog.FromConfig(FedActorsConfig.Load(ConfigurationFactory.ParseString($"fedactors.strategy.name = {name}")));
        var global = Filled(0.5f, pool);
        var observed = new List<int[]>();
        for (var round = 1; round <= 3; round++)
        {
            var context = new StrategyContext(new RoundNumber(round), 1, 20, Seed: round);
            var updates = Enumerable.Range(0, 9).Select(k => new ClientUpdate(
                new ClientId($"c{k}"), Values(round, k, pool), 10 + k, NamedTensors.Empty, NamedTensors.NoHyperparameters)).ToList();
            var result = strategy.AggregateFit(context, global, updates).Global;
            observed.Add(Bits(result));
            if (pool is not null)
            {
                // What the coordinator does: updates back; the previous model back once no fit reads it.
                updates.ForEach(u => u.Parameters.Release());
                global.Release();
                Scribble(pool);
            }

            global = result;
            observed.AddRange(strategy.ExportState().Tensors.Values.Select(Bits));
        }

        return observed;
    }

    // Every free buffer handed out and overwritten with NaN, then given back: a strategy that kept one sees NaN.
    private static void Scribble(ParameterBufferPool pool)
    {
        var taken = Enumerable.Range(0, pool.FreeCount).Select(_ => pool.Rent(Layout.TotalLength)).ToList();
        foreach (var buffer in taken)
        {
            Array.Fill(buffer, float.NaN);
            pool.Return(buffer);
        }
    }

    private static Parameters Values(int round, int client, ParameterBufferPool? pool)
    {
        var values = Enumerable.Range(0, Layout.TotalLength).Select(i => (float)Math.Sin((round * 131) + (client * 17) + i)).ToArray();
        return pool is null ? Parameters.Wrap(Layout, values) : Parameters.CopyPooled(Layout, values, pool);
    }

    private static Parameters Filled(float value, ParameterBufferPool? pool) => pool is null
        ? Parameters.Wrap(Layout, Enumerable.Repeat(value, Layout.TotalLength).ToArray())
        : Parameters.CopyPooled(Layout, Enumerable.Repeat(value, Layout.TotalLength).ToArray(), pool);

    private static int[] Bits(Parameters parameters) => [.. parameters.Values.ToArray().Select(BitConverter.SingleToInt32Bits)];
}
