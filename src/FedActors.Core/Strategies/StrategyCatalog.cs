namespace FedActors.Core.Strategies;

/// <summary>The strategies configuration can name (<c>fedactors.strategy.name</c>).</summary>
public static class StrategyCatalog
{
    /// <summary>The strategy names configuration accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["fedavg"];

    /// <summary>A new instance of the strategy called <paramref name="name"/> (one of <see cref="Names"/>, already checked).</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    public static IStrategy Create(string name) => name switch
    {
        "fedavg" => new FedAvg(),
        _ => throw new ArgumentException($"unknown strategy '{name}'; known: {string.Join(", ", Names)}", nameof(name)),
    };
}
