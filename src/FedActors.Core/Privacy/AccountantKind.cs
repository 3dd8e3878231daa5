namespace FedActors.Core.Privacy;

/// <summary>Which accountant composes a DP run's steps.</summary>
public enum AccountantKind
{
    /// <summary>Rényi DP (<see cref="RdpAccountant"/>).</summary>
    Rdp,

    /// <summary>Privacy loss distributions (<see cref="PldAccountant"/>): tighter, slower.</summary>
    Pld,
}
