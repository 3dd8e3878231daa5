using System.Globalization;
using FedActors.Cli.Configuration;

namespace FedActors.Cli.Commands;

/// <summary>
/// A partition of the benchmark grid by its command-line name (<c>iid</c>, <c>dirichlet-0.5</c>,
/// <c>label-quantity-2</c>, <c>shards-2</c>, <c>quantity-skew-0.5</c>) and the
/// <c>fedactors.simulation.partitioning</c> keys it sets. Create with <see cref="Parse"/>.
/// </summary>
/// <param name="Name">The canonical name (the number as the invariant culture writes it): the cell's folder.</param>
/// <param name="Scheme">The value of <c>fedactors.simulation.partitioning.scheme</c>.</param>
/// <param name="Key">The scheme's parameter key (relative to <c>fedactors.</c>), if it has one.</param>
/// <param name="Value">The parameter's value.</param>
/// <param name="Order">Where the partition sorts in the tables: by form (iid first), then by parameter.</param>
internal sealed record BenchmarkPartition(string Name, string Scheme, string? Key, string? Value, (int Form, double Parameter) Order)
{
    private const string P = "simulation.partitioning.";

    // The forms a name can take, in table order. A form with a key is "<prefix><number>".
    private static readonly Form[] Forms =
    [
        new("iid", "iid", null, Whole: false, "iid"),
        new("dirichlet-", "dirichlet", P + "alpha", Whole: false, "dirichlet-<alpha> (label skew, e.g. dirichlet-0.5)"),
        new("label-quantity-", "label-quantity", P + "labels-per-client", Whole: true, "label-quantity-<k> (NIID-Bench's #C=k)"),
        new("shards-", "shards", P + "shards-per-client", Whole: true, "shards-<n> (n shards per client)"),
        new("quantity-skew-", "quantity-skew", P + "alpha", Whole: false, "quantity-skew-<alpha> (quantity skew)"),
    ];

    /// <summary>The forms a partition name takes, for help and error messages.</summary>
    public static string Usage { get; } = string.Join(", ", Forms.Select(f => f.Usage));

    /// <summary>Reads a partition name.</summary>
    /// <param name="text">The name as written.</param>
    /// <param name="option">The option it came from, for the message (e.g. <c>--partitions</c>).</param>
    /// <exception cref="UsageException">The name has none of the forms, or its number is out of range; the message names it.</exception>
    public static BenchmarkPartition Parse(string text, string option)
    {
        var name = text.Trim();
        for (var i = 0; i < Forms.Length; i++)
        {
            var form = Forms[i];
            if (form.Key is null)
            {
                if (name == form.Prefix)
                {
                    return new BenchmarkPartition(name, form.Scheme, null, null, (i, 0));
                }
            }
            else if (name.StartsWith(form.Prefix, StringComparison.Ordinal))
            {
                var written = name[form.Prefix.Length..];
                var number = ReadNumber(written, form.Whole);
                var canonical = number?.ToString("R", CultureInfo.InvariantCulture);
                return number is { } x && canonical is not null
                    ? new BenchmarkPartition(form.Prefix + canonical, form.Scheme, form.Key, canonical, (i, x))
                    : throw new UsageException(
                        $"partition '{name}' in {option}: '{written}' is not {(form.Whole ? "a whole number >= 1" : "a number > 0")} (the form is {form.Usage})");
            }
        }

        throw new UsageException($"unknown partition '{name}' in {option}; the partitions are {Usage}");
    }

    /// <summary>The keys this partition sets, each with <paramref name="origin"/> as its source in messages.</summary>
    public IEnumerable<ConfigOverride> Overrides(string origin)
    {
        yield return new ConfigOverride(P + "scheme", ConfigOverride.Quote(Scheme), origin);
        if (Key is not null && Value is not null)
        {
            yield return new ConfigOverride(Key, Value, origin);
        }
    }

    private static double? ReadNumber(string text, bool whole)
    {
        if (whole)
        {
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;
        }

        return double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) && x > 0 ? x : null;
    }

    private sealed record Form(string Prefix, string Scheme, string? Key, bool Whole, string Usage);
}
