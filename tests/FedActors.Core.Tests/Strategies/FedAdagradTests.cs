using FedActors.Core.Strategies;

namespace FedActors.Core.Tests.Strategies;

/// <summary>FedAdagrad against the contract, with the naive running sum v(t) = v(t−1) + Δ², and β1 = 0.5 so that m matters.</summary>
public sealed class FedAdagradTests : FedOptContractTests
{
    protected override FedOpt Create(ClientWeighting weighting) =>
        new FedAdagrad(serverLearningRate: Eta, beta1: Beta1, tau: Tau, weighting: weighting);

    protected override double NaiveSecondMoment(double previous, double deltaSquared) => previous + deltaSquared;
}
