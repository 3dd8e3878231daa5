namespace FedActors.Core.Privacy;

/// <summary>How an RDP curve becomes an (ε, δ) guarantee: <c>ε = min over orders α of convert(ε(α), α, δ)</c>, never below 0.</summary>
public enum RdpConversion
{
    /// <summary>
    /// Balle, Barthe, Gaboardi, Hsu and Sato, "Hypothesis Testing Interpretations and Rényi
    /// Differential Privacy", AISTATS 2020, arXiv:1905.09982, Theorem 21:
    /// <c>ε = ε(α) + log((α − 1)/α) − (log δ + log α)/(α − 1)</c>. Always at most <see cref="Classic"/>
    /// for the orders an accountant uses (α ≥ 1.1, δ &lt; 1/α); the one Opacus's and dp_accounting's RDP accountants use.
    /// </summary>
    Improved,

    /// <summary>
    /// Mironov, "Rényi Differential Privacy", CSF 2017, arXiv:1702.07476, Proposition 3:
    /// <c>ε = ε(α) + log(1/δ)/(α − 1)</c>; what TensorFlow Privacy's first RDP accountant used.
    /// </summary>
    Classic,
}
