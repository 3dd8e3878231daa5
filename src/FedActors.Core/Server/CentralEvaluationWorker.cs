using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Server;

/// <summary>
/// Runs the server's centralised evaluation on the training dispatcher, so the blocking work
/// never holds the coordinator's thread (nor the default dispatcher that carries Akka's own
/// messages). A failed evaluation is reported as a reply: the coordinator decides what it means.
/// </summary>
internal sealed class CentralEvaluationWorker : ReceiveActor
{
    public CentralEvaluationWorker(ICentralEvaluator evaluator)
    {
        Receive<EvaluateGlobalModel>(request =>
        {
            try
            {
                Sender.Tell(new GlobalModelEvaluated(request.Round, evaluator.Evaluate(request.Parameters)));
            }
            catch (Exception e)
            {
                Sender.Tell(new GlobalModelEvaluationFailed(request.Round, $"{e.GetType().Name}: {e.Message}"));
            }
        });
    }

    public static Props Props(ICentralEvaluator evaluator, string dispatcher) =>
        Akka.Actor.Props.Create(() => new CentralEvaluationWorker(evaluator)).WithDispatcher(dispatcher);
}

internal sealed record EvaluateGlobalModel(RoundNumber Round, Parameters Parameters) : INoSerializationVerificationNeeded;

internal sealed record GlobalModelEvaluated(RoundNumber Round, Evaluation Evaluation) : INoSerializationVerificationNeeded;

internal sealed record GlobalModelEvaluationFailed(RoundNumber Round, string Reason) : INoSerializationVerificationNeeded;
