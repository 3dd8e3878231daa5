using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// The robust rules written again the slow, obvious way, in double precision and straight from
/// their definitions (one coordinate at a time, full sorts, every subset rule spelt out), so that
/// tests compare the SIMD code against something it does not share.
/// </summary>
internal static class NaiveRobustRules
{
    public static float[] Median(IReadOnlyList<Parameters> updates) => PerCoordinate(updates, sorted =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2);

    public static float[] TrimmedMean(IReadOnlyList<Parameters> updates, int trimmed) => PerCoordinate(updates, sorted =>
        sorted.Skip(trimmed).Take(sorted.Length - (2 * trimmed)).Average());

    public static float[] Mean(IReadOnlyList<Parameters> updates) => PerCoordinate(updates, sorted => sorted.Average());

    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var j = 0; j < a.Length; j++)
        {
            var d = (double)a[j] - b[j];
            sum += d * d;
        }

        return sum;
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Math.Sqrt(SquaredDistance(a, b));

    /// <summary>score(i): the sum of the <paramref name="neighbours"/> smallest squared distances from member i to the other members.</summary>
    public static double[] KrumScores(IReadOnlyList<Parameters> members, int neighbours) =>
        [.. members.Select((w, i) => members.Where((_, j) => j != i).Select(v => SquaredDistance(w.Values, v.Values)).Order().Take(neighbours).Sum())];

    /// <summary>The m lowest Krum scores (n − f − 2 neighbours), lowest first, equal scores by position.</summary>
    public static int[] KrumSelection(IReadOnlyList<Parameters> updates, int f, int m)
    {
        var scores = KrumScores(updates, updates.Count - f - 2);
        return [.. Enumerable.Range(0, updates.Count).OrderBy(i => scores[i]).ThenBy(i => i).Take(m)];
    }

    /// <summary>θ = n − 2f Krum steps, each on the remaining set with max(1, |R| − f − 2) neighbours (at most |R| − 1).</summary>
    public static int[] BulyanSelection(IReadOnlyList<Parameters> updates, int f)
    {
        var remaining = Enumerable.Range(0, updates.Count).ToList();
        var selected = new List<int>();
        while (selected.Count < updates.Count - (2 * f))
        {
            var neighbours = Math.Min(Math.Max(remaining.Count - f - 2, 1), remaining.Count - 1);
            var scores = KrumScores([.. remaining.Select(i => updates[i])], neighbours);
            var best = Enumerable.Range(0, remaining.Count).OrderBy(p => scores[p]).ThenBy(p => p).First();
            selected.Add(remaining[best]);
            remaining.RemoveAt(best);
        }

        return [.. selected];
    }

    /// <summary>Per coordinate, the mean of the θ − 2f selected values closest to their median (equally close: the lower value first).</summary>
    public static float[] Bulyan(IReadOnlyList<Parameters> updates, int f)
    {
        var selection = BulyanSelection(updates, f).Select(i => updates[i]).ToList();
        var kept = selection.Count - (2 * f);
        return PerCoordinate(selection, sorted =>
        {
            var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
            return sorted.OrderBy(v => Math.Abs(v - median)).ThenBy(v => v).Take(kept).Average();
        });
    }

    public static float[] WeightedMean(IReadOnlyList<(Parameters Values, int Weight)> updates)
    {
        var total = updates.Sum(u => (double)u.Weight);
        var result = new float[updates[0].Values.Length];
        for (var j = 0; j < result.Length; j++)
        {
            result[j] = (float)updates.Sum(u => u.Weight * (double)u.Values.Values[j] / total);
        }

        return result;
    }

    // Each coordinate's values in double, sorted ascending, reduced by `rule`.
    private static float[] PerCoordinate(IReadOnlyList<Parameters> updates, Func<double[], double> rule)
    {
        var result = new float[updates[0].Length];
        for (var j = 0; j < result.Length; j++)
        {
            result[j] = (float)rule([.. updates.Select(u => (double)u.Values[j]).Order()]);
        }

        return result;
    }
}
