using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

/// <summary>FedYogi against the contract, with the naive v(t) = v(t−1) − (1 − β2)·Δ²·sign(v(t−1) − Δ²).</summary>
public sealed class FedYogiTests : FedOptContractTests
{
    protected override FedOpt Create(ClientWeighting weighting) =>
        new FedYogi(serverLearningRate: Eta, beta1: Beta1, beta2: Beta2, tau: Tau, weighting: weighting);

    protected override double NaiveSecondMoment(double previous, double deltaSquared) =>
        previous - ((1 - Beta2) * deltaSquared * Math.Sign(previous - deltaSquared));
}
