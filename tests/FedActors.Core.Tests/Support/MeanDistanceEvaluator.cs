using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Support;

/// <summary>A central evaluator whose loss is the distance of the mean parameter from a target.</summary>
internal sealed class MeanDistanceEvaluator(float target) : ICentralEvaluator
{
    public Evaluation Evaluate(Parameters parameters)
    {
        double sum = 0;
        foreach (var v in parameters.Values)
        {
            sum += v;
        }

        var loss = Math.Abs(target - (sum / parameters.Length));
        return new Evaluation(100, loss, 1.0 / (1.0 + loss));
    }
}
