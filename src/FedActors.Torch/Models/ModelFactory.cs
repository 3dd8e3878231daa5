using FedActors.Core.Tensors;
using TorchSharp;
using static TorchSharp.torch.nn;

namespace FedActors.Torch.Models;

/// <summary>
/// Builds the models of <see cref="ModelKind"/> with a seeded initialisation, and the server's
/// initial global model.
/// </summary>
public static class ModelFactory
{
    /// <summary>Height and width of the images every model takes.</summary>
    public const int ImageSize = 28;

    /// <summary>Classes every model scores.</summary>
    public const int ClassCount = 10;

    // libtorch's default generator is process-wide; the lock keeps seeding and the draws of
    // one construction together when several threads build models at once.
    private static readonly Lock s_seedLock = new();

    /// <summary>
    /// Creates a model initialised by PyTorch's default schemes from <paramref name="seed"/>:
    /// the same seed gives the same weights. The caller owns (and disposes) the module.
    /// </summary>
    public static Module<torch.Tensor, torch.Tensor> Create(ModelKind kind, long seed)
    {
        lock (s_seedLock)
        {
            torch.random.manual_seed(seed);
            return Build(kind);
        }
    }

    /// <summary>The starting global model for <paramref name="seed"/>, as <see cref="Parameters"/>.</summary>
    public static Parameters InitialParameters(ModelKind kind, long seed)
    {
        using var module = Create(kind, seed);
        return ParameterConverter.CopyOut(module);
    }

    private static Module<torch.Tensor, torch.Tensor> Build(ModelKind kind) => kind switch
    {
        ModelKind.LogisticRegression => Sequential(
            ("flatten", Flatten()),
            ("fc", Linear(ImageSize * ImageSize, ClassCount))),
        ModelKind.Mlp => Sequential(
            ("flatten", Flatten()),
            ("fc1", Linear(ImageSize * ImageSize, 200)),
            ("relu1", ReLU()),
            ("fc2", Linear(200, 200)),
            ("relu2", ReLU()),
            ("fc3", Linear(200, ClassCount))),
        ModelKind.Cnn => Sequential(
            ("conv1", Conv2d(1, 32, 5, padding: 2)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(32, 64, 5, padding: 2)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(2)),
            ("flatten", Flatten()),
            ("fc1", Linear(64 * 7 * 7, 512)),
            ("relu3", ReLU()),
            ("fc2", Linear(512, ClassCount))),
        ModelKind.NiidCnn => Sequential(
            ("conv1", Conv2d(1, 6, 5)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(2)),
            ("conv2", Conv2d(6, 16, 5)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(2)),
            ("flatten", Flatten()),
            ("fc1", Linear(16 * 4 * 4, 120)),
            ("relu3", ReLU()),
            ("fc2", Linear(120, 84)),
            ("relu4", ReLU()),
            ("fc3", Linear(84, ClassCount))),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a model kind"),
    };
}
