// Federated linear regression on eight parties' private data, with a trainer written in plain
// C#: the smallest complete use of FedActors.Core without TorchSharp.
//
//   dotnet run --project samples/FederatedLinearRegression
using Akka.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Training;
using FederatedLinearRegression;

float[] trueW = [2f, -3f, 0.5f];
const float TrueB = 1f;
var random = new Random(7);
var parties = Enumerable.Range(0, 8).ToDictionary(
    i => new ClientId($"party-{i}"),
    i => Samples.Draw(count: 50 + (25 * i), trueW, TrueB, shift: i * 0.25f, random));
var heldOut = Samples.Draw(500, trueW, TrueB, shift: 0.5f, random);

var layout = new ParameterLayout([new TensorSpec("w", [trueW.Length]), new TensorSpec("b", [1])]);
var setup = new SimulationSetup(
    Clients: [.. parties.Keys],
    TrainerFactory: id => new LinearRegressionTrainer(parties[id]),
    InitialParameters: Parameters.Zeros(layout),
    Strategy: new FedAvg(),
    CentralEvaluator: new HeldOutEvaluator(heldOut));

// Any key of hocon/reference.conf can be set here; the rest keeps its default.
var config = ConfigurationFactory.ParseString("""
    fedactors.run.rounds = 60
    fedactors.server { min-available-clients = 8, fraction-fit = 0.5, min-fit-clients = 4 }
    fedactors.training { local-epochs = 2, batch-size = 10, learning-rate = 0.05 }
    akka.loglevel = WARNING
    """);

var outcome = await InProcessSimulation.RunAsync(config, setup, round =>
    Console.WriteLine($"round {round.Round,2}: held-out MSE {round.TestLoss:F5}, clients {string.Join(",", round.Answered)}"));
if (!outcome.Succeeded)
{
    Console.Error.WriteLine($"run failed: {outcome.FailureReason}");
    return 1;
}

var w = outcome.FinalParameters!.Tensor("w").ToArray();
Console.WriteLine($"learned w = [{string.Join(", ", w.Select(v => v.ToString("F3")))}], b = {outcome.FinalParameters.Tensor("b")[0]:F3}; true w = [2, -3, 0.5], b = 1");
return 0;

/// <summary>The server's own held-out data, for centralised evaluation.</summary>
internal sealed class HeldOutEvaluator(Samples data) : ICentralEvaluator
{
    public Evaluation Evaluate(Parameters parameters) => LinearRegressionTrainer.Evaluate(parameters, data);
}
