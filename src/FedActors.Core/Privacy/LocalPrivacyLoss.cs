using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Privacy;

/// <summary>
/// The (ε, δ) a client's local-DP releases cost it: one release of the Gaussian mechanism with
/// L2 sensitivity 2C and σ = z·2C (<see cref="LocalRandomiser"/>), alone (<see cref="MetricRound"/>)
/// and composed over the T rounds this client has released an update in (<see cref="MetricComposed"/>).
/// Neighbouring inputs: the client's data replaced by any other, per client; every one of its
/// releases counts, whether or not the server aggregated it.
/// </summary>
/// <remarks>
/// <para>
/// The ratio Δ2/σ is 1/z whatever C is, so ε depends on z, T, δ and the accountant only.
/// </para>
/// <para>
/// <c>accountant = rdp</c>: the Rényi DP of the Gaussian mechanism, α/(2z²) at each order α
/// (Mironov 2017, arXiv:1702.07476, Proposition 7), T of them added (<see cref="RdpAccountant"/>
/// with q = 1), converted at δ with the configured conversion. This is the bound the noise
/// actually drawn is proven to meet: the discrete Gaussian on its grid has the continuous one's
/// Rényi divergence (Canonne, Kamath and Steinke 2020; see <see cref="GaussianMechanism"/>).
/// </para>
/// <para>
/// <c>accountant = pld</c>: the exact (ε, δ) curve of the continuous Gaussian mechanism (Balle and
/// Wang 2018, Theorem 8; <see cref="GaussianMechanism.Epsilon"/>). T releases of the same Gaussian
/// mechanism have a Gaussian privacy loss whose mean and variance add up, so they compose exactly
/// into one Gaussian mechanism with sensitivity √T·2C and the same σ (Dong, Roth and Su, "Gaussian
/// Differential Privacy", 2019, arXiv:1905.02383: μ_i-GDP mechanisms compose to √(Σμ_i²)-GDP): what <see cref="PldAccountant"/>
/// computes at q = 1 up to its grid's error, in closed form and microseconds instead of an FFT per
/// client per round. As for the PLD accountant in general, this is the continuous Gaussian's
/// analysis; for the discrete noise only the RDP bound above is proven.
/// </para>
/// </remarks>
public static class LocalPrivacyLoss
{
    /// <summary>The round's metric: ε of this one release at δ.</summary>
    public const string MetricRound = "local-epsilon";

    /// <summary>The round's metric: ε of all this client's releases so far, this one included, at δ.</summary>
    public const string MetricComposed = "local-epsilon-composed";

    /// <summary>The round's metric, 1, when the noise came from the seeded, non-private source: no ε is reported then.</summary>
    public const string MetricNonPrivate = "local-dp-non-private";

    /// <summary>The metrics a round's record carries over from its clients' fit results: the largest value among them.</summary>
    public static ImmutableArray<string> RoundMetrics { get; } = [MetricRound, MetricComposed, MetricNonPrivate];

    /// <summary>ε of one release.</summary>
    public static double PerRound(LocalDpSettings settings) => Composed(settings, 1);

    /// <summary>ε of <paramref name="releases"/> releases (≥ 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="releases"/> is below 1.</exception>
    public static double Composed(LocalDpSettings settings, long releases)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(releases, 1);
        return settings.Accountant == LocalDpSettings.Pld
            ? GaussianMechanism.Epsilon(Math.Sqrt(releases) * settings.Sensitivity, settings.Sigma, settings.Delta)
            : RdpAccountant.Empty.Compose(1.0, settings.NoiseMultiplier, releases).GetPrivacySpent(settings.Delta, settings.Conversion).Epsilon;
    }

    /// <summary>
    /// The metrics a client reports with its <paramref name="releases"/>-th release: the two ε when
    /// the noise was secure; only <see cref="MetricNonPrivate"/> when it was seeded, because
    /// seeded noise anyone can regenerate guarantees nothing.
    /// </summary>
    public static ImmutableSortedDictionary<string, double> Metrics(LocalDpSettings settings, long releases) =>
        settings.SecureNoise
            ? NamedTensors.NoHyperparameters.Add(MetricRound, PerRound(settings)).Add(MetricComposed, Composed(settings, releases))
            : NamedTensors.NoHyperparameters.Add(MetricNonPrivate, 1.0);

    /// <summary>
    /// For a round's record: each of <see cref="RoundMetrics"/> that some client reported, at its
    /// largest over the clients (the worst-off client's ε is the round's guarantee).
    /// </summary>
    public static ImmutableSortedDictionary<string, double> MaxOverClients(IEnumerable<IReadOnlyDictionary<string, double>> clientMetrics)
    {
        var result = NamedTensors.NoHyperparameters;
        foreach (var metrics in clientMetrics)
        {
            foreach (var name in RoundMetrics)
            {
                if (metrics.TryGetValue(name, out var value) && !(result.TryGetValue(name, out var seen) && seen >= value))
                {
                    result = result.SetItem(name, value);
                }
            }
        }

        return result;
    }
}
