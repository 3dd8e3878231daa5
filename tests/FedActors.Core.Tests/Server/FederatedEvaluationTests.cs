using FedActors.Core.Metrics;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Server;

/// <summary>The federated evaluation phase through the coordinator, with TestProbes answering the evaluation requests.</summary>
public sealed class FederatedEvaluationTests : CoordinatorTestKit
{
    public FederatedEvaluationTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Fact]
    public void Evaluation_WhenClientsReport_RecordsTheSampleWeightedMeanOfTheNewModel()
    {
        // given two clients, both asked to fit and then to evaluate
        var (coordinator, listener) = StartCoordinator(Settings() with { MinAvailableClients = 2, FractionEvaluate = 1.0, MinEvaluateClients = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2");
        Answer(clients[0], "c1", TestParameters.Filled(2f));
        Answer(clients[1], "c2", TestParameters.Filled(4f));

        // when they evaluate (n=10, loss 1, accuracy 0.5) and (n=30, loss 2, accuracy 0.9)
        var request = AnswerEvaluation(clients[0], "c1", samples: 10, loss: 1, accuracy: 0.5);
        AnswerEvaluation(clients[1], "c2", samples: 30, loss: 2, accuracy: 0.9);

        // then they were sent the new aggregate, and the summary is (10*1 + 30*2)/40 = 1.75 and (10*0.5 + 30*0.9)/40 = 0.8
        Assert.All(request.Global.Values.ToArray(), v => Assert.Equal(3f, v));
        var summary = listener.ExpectMsg<RoundCompleted>().Record.Federated!;
        Assert.Equal((2, 40L, 1.75), (summary.Clients, summary.SampleCount, summary.Loss));
        Assert.Equal(0.8, summary.Accuracy, precision: 12);
    }

    [Fact]
    public void Evaluation_WhenAResultHasNoSamples_DropsItAndLeavesItOutOfTheMean()
    {
        // given three clients, all asked to evaluate, two results needed
        var (coordinator, listener) = StartCoordinator(Settings() with { FractionEvaluate = 1.0, MinEvaluateClients = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        foreach (var (client, id) in clients.Zip(["c1", "c2", "c3"]))
        {
            Answer(client, id, TestParameters.Filled(1f));
        }

        // when c2 reports an evaluation of zero samples
        AnswerEvaluation(clients[0], "c1", samples: 10, loss: 1, accuracy: 0.5);
        AnswerEvaluation(clients[1], "c2", samples: 0, loss: 100, accuracy: 0);
        AnswerEvaluation(clients[2], "c3", samples: 30, loss: 2, accuracy: 0.9);

        // then c2 is dropped from the evaluation as invalid, and the mean is over c1 and c3
        var record = listener.ExpectMsg<RoundCompleted>().Record;
        var drop = Assert.Single(record.Dropped);
        Assert.Equal(("c2", RoundCoordinator.EvaluatePhase, DropReason.InvalidUpdate), (drop.Client.Value, drop.Phase, drop.Reason));
        Assert.Equal((2, 1.75), (record.Federated!.Clients, record.Federated.Loss));
    }

    [Fact]
    public void Evaluation_WithEvaluateEvery_RunsOnlyAfterEveryThatManyRoundsAndAfterTheLast()
    {
        // given three rounds with federated evaluation every second round
        var (coordinator, listener) = StartCoordinator(Settings() with { Rounds = 3, FractionEvaluate = 1.0, MinEvaluateClients = 3, EvaluateEvery = 2 });
        var clients = RegisterClients(coordinator, "c1", "c2", "c3");
        var ids = new[] { "c1", "c2", "c3" };
        var evaluated = new List<int>();

        // when every round, the clients fit, and evaluate when asked
        for (var round = 1; round <= 3; round++)
        {
            foreach (var (client, id) in clients.Zip(ids))
            {
                Answer(client, id, TestParameters.Filled(round));
            }

            if (round != 1)
            {
                foreach (var (client, id) in clients.Zip(ids))
                {
                    AnswerEvaluation(client, id, samples: 10, loss: round, accuracy: 0.5);
                }
            }

            var record = listener.ExpectMsg<RoundCompleted>().Record;
            if (record.Federated is { } summary)
            {
                evaluated.Add(record.Round.Value);
                Assert.Equal(round, summary.Loss);
            }
        }

        // then rounds 2 (every second) and 3 (the last) were evaluated, and round 1 was not
        Assert.Equal([2, 3], evaluated);
    }
}
