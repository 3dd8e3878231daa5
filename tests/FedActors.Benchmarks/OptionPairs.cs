using System.Globalization;

namespace FedActors.Benchmarks;

/// <summary>The bench commands' option syntax: <c>--name value</c> pairs, and <c>-h</c>/<c>--help</c>.</summary>
internal static class OptionPairs
{
    /// <summary>The (name, value) pairs of <paramref name="args"/>, in order; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An option without a value.</exception>
    public static List<(string Name, string Value)>? Read(ReadOnlySpan<string> args)
    {
        var pairs = new List<(string, string)>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                return null;
            }

            pairs.Add(i + 1 < args.Length ? (args[i], args[++i]) : throw new ArgumentException($"option '{args[i]}' needs a value"));
        }

        return pairs;
    }

    /// <summary><paramref name="value"/> as a whole number of at least 1.</summary>
    /// <exception cref="ArgumentException">It is not one.</exception>
    public static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1
            ? parsed
            : throw new ArgumentException($"option '{name}' needs a whole number >= 1, not '{value}'");
}
