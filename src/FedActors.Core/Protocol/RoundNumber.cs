namespace FedActors.Core.Protocol;

/// <summary>A training round's number: 1 for the first round, 0 for the initial model.</summary>
public readonly record struct RoundNumber(int Value) : IComparable<RoundNumber>
{
    /// <summary>The round before the first: the initial model's evaluation.</summary>
    public static readonly RoundNumber Initial = new(0);

    /// <summary>The round after this one. A method, not a property, so serializers that walk properties do not recurse.</summary>
    public RoundNumber Next() => new(Value + 1);

    /// <inheritdoc />
    public int CompareTo(RoundNumber other) => Value.CompareTo(other.Value);

    /// <summary>True when <paramref name="a"/> comes before <paramref name="b"/>.</summary>
    public static bool operator <(RoundNumber a, RoundNumber b) => a.Value < b.Value;

    /// <summary>True when <paramref name="a"/> comes after <paramref name="b"/>.</summary>
    public static bool operator >(RoundNumber a, RoundNumber b) => a.Value > b.Value;

    /// <summary>True when <paramref name="a"/> is not after <paramref name="b"/>.</summary>
    public static bool operator <=(RoundNumber a, RoundNumber b) => a.Value <= b.Value;

    /// <summary>True when <paramref name="a"/> is not before <paramref name="b"/>.</summary>
    public static bool operator >=(RoundNumber a, RoundNumber b) => a.Value >= b.Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
