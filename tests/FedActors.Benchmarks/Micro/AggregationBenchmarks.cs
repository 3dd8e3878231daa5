using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using FedActors.Core.Protocol;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Benchmarks.Micro;

/// <summary>
/// One FedAvg round's server-side arithmetic on ten updates of the FedAvg-paper CNN
/// (1,663,370 parameters, 66.5 MB together): the tiled fixed-point
/// <see cref="Aggregation.WeightedMean"/> (into a pooled buffer, given back after each call as the
/// coordinator does) and the streaming accumulator, against the landed float32 pass per update
/// into a fresh array, a naive scalar loop, and the floors: one read pass over the same bytes
/// (a sum) and a memcpy of them. The finiteness check the coordinator runs on each update too.
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

    private readonly ParameterBufferPool _pool = new(maxBuffersPerLength: 2);
    private float[] _copy = null!;

    [Benchmark(Baseline = true)]
    public float ReadPass()
    {
        var sum = 0f;
        foreach (var (values, _) in _items)
        {
            sum += TensorPrimitives.Sum(values.Values);
        }

        return sum;
    }

    [Benchmark]
    public float[] Memcpy()
    {
        _copy ??= new float[CnnParameters * Updates];
        for (var k = 0; k < _items.Count; k++)
        {
            _items[k].Values.Values.CopyTo(_copy.AsSpan(k * CnnParameters, CnnParameters));
        }

        return _copy;
    }

    [Benchmark]
    public int WeightedMean()
    {
        var mean = Aggregation.WeightedMean(_layout, _items, _pool);
        var length = mean.Length;
        mean.Release();
        return length;
    }

    [Benchmark]
    public int Streamed()
    {
        var accumulator = ((IStrategy)new FedAvg()).StartAccumulating(new StrategyContext(new RoundNumber(1), 1, Updates, 1), _items[0].Values)!;
        for (var k = 0; k < _items.Count; k++)
        {
            accumulator.Add(new ClientUpdate(new ClientId($"c{k}"), _items[k].Values, _items[k].Weight, NamedTensors.Empty, NamedTensors.NoHyperparameters));
        }

        var mean = accumulator.Complete().Global;
        var length = mean.Length;
        mean.Release();
        return length;
    }

    /// <summary>The landed aggregation (before the tiled fixed point): a fresh zeroed result and one float32 pass per update.</summary>
    [Benchmark]
    public Parameters LandedWeightedMean()
    {
        long total = _items.Sum(i => (long)i.Weight);
        var result = new float[_layout.TotalLength];
        foreach (var (values, weight) in _items)
        {
            TensorPrimitives.MultiplyAdd(values.Values, (float)((double)weight / total), result, result);
        }

        return Parameters.Wrap(_layout, result);
    }

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
