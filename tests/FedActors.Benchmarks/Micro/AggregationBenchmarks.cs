using BenchmarkDotNet.Attributes;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Benchmarks.Micro;

/// <summary>
/// One FedAvg round's server-side arithmetic on ten updates of the FedAvg-paper CNN
/// (1,663,370 parameters): <see cref="Aggregation.WeightedMean"/> against a naive scalar loop,
/// and the finiteness check the coordinator runs on each update.
/// </summary>
[MemoryDiagnoser]
public class AggregationBenchmarks
{
    private const int CnnParameters = 1_663_370;
    private const int Updates = 10;

    private ParameterLayout _layout = null!;
    private List<(Parameters Values, int Weight)> _items = null!;

    [GlobalSetup]
    public void Setup()
    {
        _layout = new ParameterLayout([new TensorSpec("w", [CnnParameters])]);
        var random = new Random(1);
        _items = [.. Enumerable.Range(0, Updates).Select(i =>
        {
            var values = new float[CnnParameters];
            for (var j = 0; j < values.Length; j++)
            {
                values[j] = (float)(random.NextDouble() - 0.5);
            }

            return (Parameters.Wrap(_layout, values), 600 + i);
        })];
    }

    [Benchmark(Baseline = true)]
    public Parameters WeightedMean() => Aggregation.WeightedMean(_layout, _items);

    [Benchmark]
    public Parameters NaiveLoop()
    {
        long total = _items.Sum(i => (long)i.Weight);
        var result = new float[CnnParameters];
        foreach (var (values, weight) in _items)
        {
            var scale = (float)((double)weight / total);
            var source = values.Values;
            for (var j = 0; j < result.Length; j++)
            {
                result[j] += source[j] * scale;
            }
        }

        return Parameters.Wrap(_layout, result);
    }

    [Benchmark]
    public bool AllFinite()
    {
        var all = true;
        foreach (var (values, _) in _items)
        {
            all &= values.AllFinite();
        }

        return all;
    }
}
