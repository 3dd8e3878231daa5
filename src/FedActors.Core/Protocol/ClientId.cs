namespace FedActors.Core.Protocol;

/// <summary>
/// A client's stable identity. Rounds, metrics and per-client state key on it, never on an actor
/// path, so a client that restarts or reconnects from another node is still the same client.
/// </summary>
public readonly record struct ClientId : IComparable<ClientId>
{
    /// <summary>Creates an id from a non-empty string.</summary>
    public ClientId(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        Value = value;
    }

    /// <summary>The id's text.</summary>
    public string Value { get; }

    /// <summary>Orders ids ordinally, so that aggregation and sampling never depend on culture.</summary>
    public int CompareTo(ClientId other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
