using Akka.Configuration;
using FedActors.Core.Configuration;

namespace FedActors.Core.Privacy;

/// <summary>
/// What a client needs for local differential privacy, read from its own node's
/// <c>fedactors.privacy</c> block: <c>mode = local</c> turns it on, then <c>local.clip</c>,
/// <c>local.noise-multiplier</c>, <c>noise</c>, <c>delta</c>, <c>accountant</c> and <c>conversion</c>.
/// </summary>
/// <remarks>
/// Read on the client side only, never from a <c>FitRequest</c>: a client must not trust the
/// server to tell it whether to noise. In a simulation the one process configuration serves the
/// server and the clients alike.
/// </remarks>
/// <param name="Clip">C, the L2 bound on the client's update <c>w_k − w_global</c> (&gt; 0).</param>
/// <param name="NoiseMultiplier">z: the noise's standard deviation is <c>z·2C</c> per coordinate (&gt; 0).</param>
/// <param name="SecureNoise">True for <c>noise = secure</c>; false for <c>seeded-non-private</c>, which protects nothing and reports no epsilon.</param>
/// <param name="Delta">The δ of the reported (ε, δ), in (0, 1).</param>
/// <param name="Accountant"><see cref="Rdp"/> or <see cref="Pld"/>: how the per-round and composed ε are computed (<see cref="LocalPrivacyLoss"/>).</param>
/// <param name="Conversion">The RDP-to-(ε, δ) conversion, for <see cref="Rdp"/>.</param>
public sealed record LocalDpSettings(double Clip, double NoiseMultiplier, bool SecureNoise, double Delta, string Accountant, RdpConversion Conversion)
{
    /// <summary><c>accountant = rdp</c>.</summary>
    public const string Rdp = "rdp";

    /// <summary><c>accountant = pld</c>.</summary>
    public const string Pld = "pld";

    private const string Block = "fedactors.privacy";

    /// <summary>σ = z·2C: the noise's standard deviation per coordinate, for the local sensitivity 2C.</summary>
    public double Sigma => NoiseMultiplier * Sensitivity;

    /// <summary>2C: two clipped updates differ by at most 2C in L2 norm, so replacing one client's data moves its release by at most that.</summary>
    public double Sensitivity => 2 * Clip;

    /// <summary>Reads the settings; null when <c>fedactors.privacy.mode</c> is not <c>local</c>. <paramref name="config"/> must fall back on the defaults.</summary>
    /// <exception cref="ConfigurationException">A value is missing, ill-typed or out of range; the message names the key.</exception>
    public static LocalDpSettings? Create(Config config)
    {
        var r = new ConfigReader(config);
        if (r.OneOf($"{Block}.mode", "off", "central", "local") != "local")
        {
            return null;
        }

        return new LocalDpSettings(
            r.Double($"{Block}.local.clip", min: 0, minExclusive: true),
            r.Double($"{Block}.local.noise-multiplier", min: 0, minExclusive: true),
            r.OneOf($"{Block}.noise", "secure", "seeded-non-private") == "secure",
            ReadDelta(r),
            r.OneOf($"{Block}.accountant", Rdp, Pld),
            r.OneOf($"{Block}.conversion", "improved", "classic") == "classic" ? RdpConversion.Classic : RdpConversion.Improved);
    }

    // (0, 1): ConfigReader's ranges include their upper end, and δ = 1 would claim nothing.
    private static double ReadDelta(ConfigReader r)
    {
        const string Key = $"{Block}.delta";
        var delta = r.Double(Key, min: 0, max: 1, minExclusive: true);
        return delta < 1 ? delta : throw new ConfigurationException($"configuration key '{Key}' is '{delta}', but must be a number in (0, 1)");
    }
}
