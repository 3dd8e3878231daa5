namespace FedActors.Core.Tests.Strategies;

/// <summary>Compares float32 results with a naive float64 reference, within a stated tolerance.</summary>
internal static class Close
{
    /// <summary>
    /// The float32 rules take a handful of rounded operations per value and round, so three
    /// rounds stay well within 2e-5 of the float64 reference, relative, plus 1e-7 absolute.
    /// </summary>
    public const double Relative = 2e-5;

    /// <summary>The absolute part of the tolerance, for values near zero.</summary>
    public const double Absolute = 1e-7;

    /// <summary>Asserts every value is within <see cref="Relative"/>·|expected| + <see cref="Absolute"/>, naming the first that is not.</summary>
    public static void Equal(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (var i = 0; i < expected.Count; i++)
        {
            var tolerance = (Relative * Math.Abs(expected[i])) + Absolute;
            Assert.True(
                Math.Abs(actual[i] - expected[i]) <= tolerance,
                $"{what}[{i}] is {actual[i]:R}, but the naive rule gives {expected[i]:R} (tolerance {tolerance:G3})");
        }
    }
}
