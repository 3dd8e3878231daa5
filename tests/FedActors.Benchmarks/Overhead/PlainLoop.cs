using FedActors.Core.Tensors;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Benchmarks.Overhead;

/// <summary>
/// Variant (a): the reference a simulation is measured against. One module and one SGD
/// optimiser on the calling thread train over the given samples, reshuffled every pass, in
/// full batches; the batch is gathered into reusable tensors and the loss and accuracy are
/// tracked per batch, as a careful hand-written TorchSharp loop would (and as the trainer does).
/// </summary>
public static class PlainLoop
{
    /// <summary>Trains <paramref name="passes"/> times over <paramref name="samples"/>; returns the last pass's mean loss.</summary>
    /// <param name="model">The model to build.</param>
    /// <param name="initial">The starting weights (the simulation's initial global model).</param>
    /// <param name="data">The images the samples index into.</param>
    /// <param name="samples">The sample indices: the union of the simulated clients' shards.</param>
    /// <param name="passes">Passes over the samples: rounds x local epochs of the simulation.</param>
    /// <param name="batchSize">Samples per step; must divide the sample count.</param>
    /// <param name="learningRate">SGD learning rate.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    public static double Train(ModelKind model, Parameters initial, LabeledImages data, int[] samples, int passes, int batchSize, double learningRate, int seed)
    {
        // The trainer's own batch primitives (module, gather, accuracy count), so that what the
        // comparison measures is the runtime around them, not two versions of the batch code.
        var workspace = ModelWorkspace.ForCurrentThread(model);
        workspace.Load(initial);
        var module = workspace.Module;
        module.train();
        using var optimizer = torch.optim.SGD(module.parameters(), learningRate);

        var random = new Random(seed);
        var order = (int[])samples.Clone();
        double lossSum = 0;
        for (var pass = 0; pass < passes; pass++)
        {
            random.Shuffle(order);
            lossSum = 0;
            long correct = 0;
            for (var start = 0; start < order.Length; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                var (inputs, targets) = workspace.Gather(data, order.AsSpan(start, batchSize));
                var logits = module.forward(inputs);
                var loss = torch.nn.functional.cross_entropy(logits, targets);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += (double)loss.item<float>() * batchSize;
                correct += ModelWorkspace.CountCorrect(logits, targets);
            }

            GC.KeepAlive(correct);
        }

        return lossSum / order.Length;
    }
}
