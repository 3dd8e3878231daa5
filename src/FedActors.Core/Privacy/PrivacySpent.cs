namespace FedActors.Core.Privacy;

/// <summary>An (ε, δ)-DP guarantee and where it came from.</summary>
/// <param name="Epsilon">ε, an upper bound: the run is (ε, δ)-differentially private.</param>
/// <param name="Delta">δ, as asked.</param>
/// <param name="Order">The RDP order α that gave the smallest ε.</param>
/// <param name="Conversion">The RDP-to-(ε, δ) conversion used.</param>
public sealed record PrivacySpent(double Epsilon, double Delta, double Order, RdpConversion Conversion);
