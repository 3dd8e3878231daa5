using System.Globalization;
using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Privacy;

/// <summary>
/// Central differential privacy's settings (<c>fedactors.privacy</c> with <c>mode = central</c>),
/// read and checked once before anything runs: the shared keys (noise, delta, accountant,
/// conversion, epsilon-budget), <c>privacy.central</c>, and the sampling rate q, which is
/// <c>fedactors.server.fraction-fit</c> (clients are then Poisson-sampled at that rate). Each
/// error names its key.
/// </summary>
/// <param name="Clip">C, the L2 bound on each client's update (the initial C with adaptive clipping).</param>
/// <param name="NoiseMultiplier">z, the noise multiplier the accountant composes (with adaptive clipping, the total one; see <see cref="AdaptiveClipping"/>).</param>
/// <param name="SamplingRate">q, the Poisson sampling rate.</param>
/// <param name="SecureNoise">True for noise (and sampling) from the OS CSPRNG; false for the seeded, non-private mode.</param>
/// <param name="Delta">δ of the (ε, δ) reported.</param>
/// <param name="Accountant">Which accountant composes the steps.</param>
/// <param name="Conversion">RDP to (ε, δ), for the RDP accountant.</param>
/// <param name="EpsilonBudget">The run stops before a step that would take ε above it; null for no budget.</param>
/// <param name="Adaptive">Adaptive clipping's settings; null for a fixed C.</param>
public sealed record CentralDpSettings(
    double Clip,
    double NoiseMultiplier,
    double SamplingRate,
    bool SecureNoise,
    double Delta,
    AccountantKind Accountant,
    RdpConversion Conversion,
    double? EpsilonBudget,
    AdaptiveClippingSettings? Adaptive)
{
    /// <summary>The key that turns central DP on.</summary>
    public const string ModeKey = "fedactors.privacy.mode";

    private const string P = "fedactors.privacy.";

    /// <summary>The values <see cref="ModeKey"/> accepts.</summary>
    public static readonly string[] Modes = ["off", "central", "local"];

    /// <summary>True when <paramref name="config"/> turns central DP on.</summary>
    /// <exception cref="ConfigurationException">The mode is not one of <see cref="Modes"/>.</exception>
    public static bool IsOn(Config config) => new ConfigReader(config).OneOf(ModeKey, Modes) == "central";

    /// <summary>True when the noise key says <c>secure</c> (the only private choice).</summary>
    /// <exception cref="ConfigurationException">The key is neither secure nor seeded-non-private.</exception>
    public static bool ReadsSecureNoise(Config config) =>
        new ConfigReader(config).OneOf(P + "noise", "secure", "seeded-non-private") == "secure";

    /// <summary>The settings when central DP is on, else null.</summary>
    /// <param name="config">The configuration over the embedded defaults.</param>
    /// <exception cref="ConfigurationException">A value is out of range, or the budget is spent by the first step; the message names the key.</exception>
    public static CentralDpSettings? Read(Config config)
    {
        if (!IsOn(config))
        {
            return null;
        }

        var r = new ConfigReader(config);
        var settings = new CentralDpSettings(
            Clip: r.Double(P + "central.clip", min: 0, minExclusive: true),
            NoiseMultiplier: r.Double(P + "central.noise-multiplier", min: 0, minExclusive: true),
            SamplingRate: r.Double("fedactors.server.fraction-fit", min: 0, max: 1, minExclusive: true),
            SecureNoise: ReadsSecureNoise(config),
            Delta: OpenUnit(r, P + "delta"),
            Accountant: r.OneOf(P + "accountant", "rdp", "pld") == "pld" ? AccountantKind.Pld : AccountantKind.Rdp,
            Conversion: r.OneOf(P + "conversion", "improved", "classic") == "classic" ? RdpConversion.Classic : RdpConversion.Improved,
            EpsilonBudget: r.DoubleOrOff(P + "epsilon-budget"),
            Adaptive: r.Bool(P + "central.adaptive-clipping.enabled") ? ReadAdaptive(r) : null);
        settings.CheckFirstStepWithinBudget();
        return settings;
    }

    /// <summary>
    /// The checks that need the number of clients N (a simulation knows it): with adaptive
    /// clipping, the clip-count noise σ_b (auto: q·N/20) must leave the update a finite noise
    /// multiplier (<see cref="AdaptiveClipping.UpdateNoiseMultiplier"/>).
    /// </summary>
    /// <exception cref="ConfigurationException">z ≤ 2σ_b, so that z^−2 − (2σ_b)^−2 ≤ 0; the message gives the numbers and the keys.</exception>
    public void CheckFeasibleFor(int clients, string clientsKey)
    {
        if (Adaptive is null)
        {
            return;
        }

        var sigmaB = Adaptive.ClipCountStddevFor(SamplingRate * clients);
        try
        {
            AdaptiveClipping.UpdateNoiseMultiplier(NoiseMultiplier, sigmaB);
        }
        catch (ArgumentException e)
        {
            var source = Adaptive.ClipCountStddev is null
                ? FormattableString.Invariant($"auto: q·N/20 with q = 'fedactors.server.fraction-fit' {SamplingRate} and N = '{clientsKey}' {clients}")
                : "'fedactors.privacy.central.adaptive-clipping.clip-count-stddev'";
            throw new ConfigurationException(
                $"impossible settings: 'fedactors.privacy.central.noise-multiplier' and the clip-count noise σ_b ({source}) leave the update no noise: {e.Message}");
        }
    }

    private void CheckFirstStepWithinBudget()
    {
        if (EpsilonBudget is not { } budget)
        {
            return;
        }

        var first = StepAccountant.Create(Accountant, Conversion).Compose(SamplingRate, NoiseMultiplier).Epsilon(Delta);
        if (first > budget)
        {
            throw new ConfigurationException(
                FormattableString.Invariant($"configuration key '{P}epsilon-budget' is {budget}, but the first round alone spends epsilon {first:0.####} at delta {Delta} ") +
                FormattableString.Invariant($"(q = 'fedactors.server.fraction-fit' {SamplingRate}, z = '{P}central.noise-multiplier' {NoiseMultiplier}): raise the budget or the noise"));
        }
    }

    private static double OpenUnit(ConfigReader r, string key)
    {
        var value = r.Double(key, min: 0, max: 1, minExclusive: true);
        return value < 1
            ? value
            : throw new ConfigurationException($"configuration key '{key}' is '{value.ToString(CultureInfo.InvariantCulture)}', but must be a number in (0, 1)");
    }

    private static AdaptiveClippingSettings ReadAdaptive(ConfigReader r)
    {
        const string A = P + "central.adaptive-clipping.";
        var quantile = OpenUnit(r, A + "target-quantile");
        var rate = r.Double(A + "learning-rate", min: 0, minExclusive: true);
        var stddev = r.StringOrOff(A + "clip-count-stddev") is "auto" ? (double?)null : r.Double(A + "clip-count-stddev", min: 0, minExclusive: true);
        return new AdaptiveClippingSettings(quantile, rate, stddev);
    }
}

/// <summary>Adaptive clipping's settings (Andrew et al. 2021; see <see cref="AdaptiveClipping"/>).</summary>
/// <param name="TargetQuantile">γ, the share of updates that should go unclipped, in (0, 1).</param>
/// <param name="LearningRate">η_C of the geometric update, &gt; 0.</param>
/// <param name="ClipCountStddev">σ_b, the noise on the unclipped count; null for auto (expected clients / 20, the paper's choice).</param>
public sealed record AdaptiveClippingSettings(double TargetQuantile, double LearningRate, double? ClipCountStddev)
{
    /// <summary>σ_b for a round that expects <paramref name="expectedClients"/> clients (q·N).</summary>
    public double ClipCountStddevFor(double expectedClients) => ClipCountStddev ?? (expectedClients / 20);
}
