namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// FedAdam with <c>bias-correction = on</c>, the whole contract again, with the naive step
/// η·m̂/(sqrt(v̂) + τ), m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t).
/// </summary>
public sealed class FedAdamWithBiasCorrectionTests : FedAdamTests
{
    protected override bool BiasCorrection => true;

    protected override double NaiveStep(double m, double v, int t)
    {
        var mHat = m / (1 - Math.Pow(Beta1, t));
        var vHat = v / (1 - Math.Pow(Beta2, t));
        return Eta * mHat / (Math.Sqrt(vHat) + Tau);
    }
}
