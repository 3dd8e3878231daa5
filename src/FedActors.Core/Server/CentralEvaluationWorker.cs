using Akka.Actor;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Server;

/// <summary>
/// Runs the server's centralised evaluation on the training dispatcher, so the blocking work
/// never holds the coordinator's thread nor the default dispatcher (and the .NET thread pool)
/// that carries Akka's own messages. An evaluator of several parts gets one child actor per part
/// on the training dispatcher, so the parts run on the training threads, idle between rounds, and
/// are combined in part order. A failed evaluation is reported as a reply: the coordinator
/// decides what it means.
/// </summary>
internal sealed class CentralEvaluationWorker : ReceiveActor
{
    public CentralEvaluationWorker(ICentralEvaluator evaluator, string dispatcher)
    {
        var parts = Math.Max(1, evaluator.Parts);
        if (parts == 1)
        {
            Receive<EvaluateGlobalModel>(request => Sender.Tell(EvaluateOne(evaluator, request, part: null)));
            return;
        }

        var workers = Enumerable.Range(0, parts)
            .Select(i => Context.ActorOf(Akka.Actor.Props.Create(() => new PartWorker(evaluator, i)).WithDispatcher(dispatcher), $"part-{i}"))
            .ToList();
        // One evaluation at a time: the coordinator waits for each before it asks for the next.
        IActorRef? replyTo = null;
        var results = new Evaluation?[parts];
        var reported = 0;
        string? failure = null;
        Receive<EvaluateGlobalModel>(request =>
        {
            (replyTo, reported, failure) = (Sender, 0, null);
            Array.Clear(results);
            foreach (var worker in workers)
            {
                worker.Tell(request);
            }
        });
        Receive<PartEvaluated>(m =>
        {
            results[m.Part] = m.Evaluation;
            failure ??= m.Failure;
            if (++reported == parts)
            {
                replyTo?.Tell(failure is null
                    ? new GlobalModelEvaluated(m.Round, Evaluation.Combine([.. results.Select(r => r!)]))
                    : new GlobalModelEvaluationFailed(m.Round, failure));
                replyTo = null;
            }
        });
    }

    public static Props Props(ICentralEvaluator evaluator, string dispatcher) =>
        Akka.Actor.Props.Create(() => new CentralEvaluationWorker(evaluator, dispatcher)).WithDispatcher(dispatcher);

    private static object EvaluateOne(ICentralEvaluator evaluator, EvaluateGlobalModel request, int? part)
    {
        try
        {
            var evaluation = part is { } p ? evaluator.EvaluatePart(request.Parameters, p) : evaluator.Evaluate(request.Parameters);
            return new GlobalModelEvaluated(request.Round, evaluation);
        }
        catch (Exception e)
        {
            return new GlobalModelEvaluationFailed(request.Round, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private sealed class PartWorker : ReceiveActor
    {
        public PartWorker(ICentralEvaluator evaluator, int part) =>
            Receive<EvaluateGlobalModel>(request => Sender.Tell(EvaluateOne(evaluator, request, part) switch
            {
                GlobalModelEvaluated ok => new PartEvaluated(request.Round, part, ok.Evaluation, null),
                GlobalModelEvaluationFailed failed => new PartEvaluated(request.Round, part, null, failed.Reason),
                _ => throw new InvalidOperationException("unreachable"),
            }));
    }

    private sealed record PartEvaluated(RoundNumber Round, int Part, Evaluation? Evaluation, string? Failure) : INoSerializationVerificationNeeded;
}

internal sealed record EvaluateGlobalModel(RoundNumber Round, Parameters Parameters) : INoSerializationVerificationNeeded;

internal sealed record GlobalModelEvaluated(RoundNumber Round, Evaluation Evaluation) : INoSerializationVerificationNeeded;

internal sealed record GlobalModelEvaluationFailed(RoundNumber Round, string Reason) : INoSerializationVerificationNeeded;
