using FedActors.Torch.Data;
using FedActors.Torch.Training;

namespace FedActors.Torch.Tests;

/// <summary>Process-wide set-up every test that touches libtorch goes through first.</summary>
internal static class TestEnvironment
{
    private static readonly Lazy<FashionMnist> s_fashionMnist =
        new(() => FashionMnist.Load(FashionMnist.DefaultDirectory, trainLimit: 2000, testLimit: 1000));

    static TestEnvironment()
    {
        // Before the first tensor operation, so that OpenMP starts with one thread.
        TorchRuntime.Initialize(1);
    }

    /// <summary>The first 2,000 training and 1,000 test images of the real Fashion-MNIST.</summary>
    public static FashionMnist FashionMnistSlice => s_fashionMnist.Value;

    /// <summary>Runs the static constructor.</summary>
    public static void EnsureTorchInitialized()
    {
    }
}
