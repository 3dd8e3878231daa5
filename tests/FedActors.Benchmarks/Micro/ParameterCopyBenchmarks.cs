using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using FedActors.Core.Tensors;
using FedActors.Torch.Models;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Benchmarks.Micro;

/// <summary>
/// Moving the FedAvg-paper CNN's weights between a TorchSharp module and <see cref="Parameters"/>,
/// which every fit does twice (global model in, update out), and what a fit pays to build its
/// SGD optimiser.
/// </summary>
[MemoryDiagnoser]
public class ParameterCopyBenchmarks
{
    private torch.nn.Module<torch.Tensor, torch.Tensor> _module = null!;
    private Parameters _global = null!;
    private float[] _existing = null!;

    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.Initialize(threadsPerClient: 1);
        torch.set_num_threads(1);
        _module = ModelFactory.Create(ModelKind.Cnn, seed: 1);
        _global = ModelFactory.InitialParameters(ModelKind.Cnn, seed: 2);
        _existing = new float[_global.Length];
    }

    [GlobalCleanup]
    public void Cleanup() => _module.Dispose();

    [Benchmark]
    public void CopyIn() => ParameterConverter.CopyIn(_module, _global);

    [Benchmark]
    public Parameters CopyOut() => ParameterConverter.CopyOut(_module);

    /// <summary>The same bytes as <see cref="CopyOut"/> into an array that already exists: the copy without the allocation.</summary>
    [Benchmark]
    public float[] CopyOutIntoExisting()
    {
        var offset = 0;
        foreach (var (_, parameter) in _module.named_parameters())
        {
            var values = MemoryMarshal.Cast<byte, float>(parameter.bytes);
            values.CopyTo(_existing.AsSpan(offset));
            offset += values.Length;
        }

        return _existing;
    }

    [Benchmark]
    public void CreateSgd() => torch.optim.SGD(_module.parameters(), 0.05).Dispose();
}
