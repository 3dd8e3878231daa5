using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The math of the Byzantine-robust strategies, as pure functions over contiguous buffers. Lists
/// of updates come in client-id order (as strategies receive them), and every tie goes to the
/// earlier update, so a result never depends on the order replies arrived in.
/// <para>
/// Coordinate-wise rules (median, trimmed mean, Bulyan's second stage) need each coordinate's n
/// values in order. Rather than sorting d arrays of n values one element at a time, a block of
/// coordinates is copied into n rows (row k holds update k's slice) and the rows are sorted by a
/// sorting network whose compare-exchange of rows i &lt; j is one vectorised
/// <c>TensorPrimitives.Min</c> and one <c>Max</c> across the block: afterwards row r holds every
/// coordinate's r-th smallest value, and the rule reduces whole rows into the block's result.
/// The network is Batcher's merge exchange (Knuth, TAOCP vol. 3, §5.2.2, Algorithm M):
/// O(n log² n) compare-exchanges for any n.
/// </para>
/// <para>
/// Distance rules (Krum, Bulyan's first stage) compute the n(n − 1)/2 squared distances once,
/// O(n² d), and then work on that n × n table. Distances are taken between the updated models
/// w_k: ‖w_i − w_j‖ = ‖(w_i − w_global) − (w_j − w_global)‖, so they equal the papers' distances
/// between the clients' updates (their gradients), without a subtraction (and its rounding) per
/// value.
/// </para>
/// </summary>
public static class RobustAggregation
{
    // A block's rows together stay within a typical L2 cache; more width gains nothing.
    private const int BlockFloats = 64 * 1024;
    private const int MaxBlockWidth = 4096;

    private delegate void SortedRowsReducer(in SortedRows rows, Span<float> destination);

    /// <summary>
    /// The coordinate-wise median: for each coordinate, with its n values sorted
    /// <c>v_(1) ≤ … ≤ v_(n)</c>, <c>v_((n+1)/2)</c> for odd n and <c>(v_(n/2) + v_(n/2+1)) / 2</c> for even n.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or a layout differs from <paramref name="layout"/>.</exception>
    public static Parameters Median(ParameterLayout layout, IReadOnlyList<Parameters> updates) =>
        ReduceSortedCoordinates(layout, updates, MedianOfRows);

    /// <summary>
    /// The coordinate-wise trimmed mean: for each coordinate, with its n values sorted
    /// <c>v_(1) ≤ … ≤ v_(n)</c> and b = <paramref name="trimmed"/>,
    /// <c>(1 / (n − 2b)) · Σ_{i=b+1}^{n−b} v_(i)</c>.
    /// </summary>
    /// <param name="layout">The global model's layout.</param>
    /// <param name="updates">The updates.</param>
    /// <param name="trimmed">Values dropped from each end of every coordinate, in [0, (n − 1) / 2].</param>
    /// <exception cref="ArgumentException">The list is empty, a layout differs, or <paramref name="trimmed"/> would leave no value.</exception>
    public static Parameters TrimmedMean(ParameterLayout layout, IReadOnlyList<Parameters> updates, int trimmed)
    {
        if (trimmed < 0 || 2 * trimmed >= updates.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(trimmed), trimmed, $"trimming {trimmed} of {updates.Count} values from each end leaves none");
        }

        return ReduceSortedCoordinates(layout, updates, (in SortedRows rows, Span<float> destination) =>
        {
            rows.Row(trimmed).CopyTo(destination);
            for (var rank = trimmed + 1; rank < rows.Count - trimmed; rank++)
            {
                TensorPrimitives.Add(destination, rows.Row(rank), destination);
            }

            TensorPrimitives.Divide(destination, rows.Count - (2 * trimmed), destination);
        });
    }

    /// <summary>
    /// <c>floor(β·n)</c>, the values a trimmed mean drops from each end. The product is taken in
    /// decimal, on the value as written in configuration, so that 0.29 · 100 drops 29 values
    /// (in binary floating point it is 28.999999999999996).
    /// </summary>
    public static int TrimmedCount(double beta, int n) => (int)decimal.Floor((decimal)beta * n);

    /// <summary>
    /// Krum's scores: <c>score(i) = Σ_{j ∈ N_i} ‖w_i − w_j‖²</c>, where N_i holds the n − f − 2
    /// updates nearest to w_i (w_i itself excluded).
    /// </summary>
    /// <exception cref="ArgumentException">A layout differs, <paramref name="f"/> is negative, or n ≤ 2f + 2.</exception>
    public static double[] KrumScores(ParameterLayout layout, IReadOnlyList<Parameters> updates, int f)
    {
        RequireKrumCount(updates.Count, f);
        var n = updates.Count;
        var distances = SquaredDistances(layout, updates);
        var scores = new double[n];
        Scores(distances, n, [.. Enumerable.Range(0, n)], n - f - 2, scores);
        return scores;
    }

    /// <summary>
    /// Multi-Krum's selection: the indices of the <paramref name="m"/> updates with the lowest
    /// <see cref="KrumScores"/>, lowest first (m = 1 is Krum's choice); equal scores go to the
    /// earlier update.
    /// </summary>
    /// <exception cref="ArgumentException">A layout differs, n ≤ 2f + 2, or m is not in [1, n].</exception>
    public static int[] KrumSelection(ParameterLayout layout, IReadOnlyList<Parameters> updates, int f, int m)
    {
        var scores = KrumScores(layout, updates, f);
        if (m < 1 || m > updates.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m, $"Multi-Krum selects m in [1, n] of the n = {updates.Count} updates");
        }

        // OrderBy is stable: equal scores keep index (client-id) order.
        return [.. Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).Take(m)];
    }

    /// <summary>
    /// Multi-Krum: the unweighted mean <c>(1/m) · Σ_{i ∈ S} w_i</c> of the <see cref="KrumSelection"/> S,
    /// summed in client-id order; with m = 1, Krum's chosen update itself.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="KrumSelection"/>.</exception>
    public static Parameters MultiKrum(ParameterLayout layout, IReadOnlyList<Parameters> updates, int f, int m) =>
        UnweightedMean(layout, [.. KrumSelection(layout, updates, f, m).Order().Select(i => updates[i])]);

    /// <summary>
    /// Bulyan's first stage: θ = n − 2f times, the update Krum chooses from the remaining set R
    /// moves from R to the selection. Krum's neighbour count on R is |R| − f − 2, but at least 1
    /// (and at most |R| − 1): the last steps run on sets smaller than Krum's own n &gt; 2f + 2
    /// (the last on 2f + 1 updates), where a count of 0 would score every update 0 and choose by id
    /// alone. Returns the selected indices in the order chosen.
    /// </summary>
    /// <exception cref="ArgumentException">A layout differs, <paramref name="f"/> is negative, or n &lt; 4f + 3.</exception>
    public static int[] BulyanSelection(ParameterLayout layout, IReadOnlyList<Parameters> updates, int f)
    {
        var n = updates.Count;
        if (f < 0 || n < (4 * f) + 3)
        {
            throw new ArgumentException($"Bulyan needs n >= 4f + 3 updates and f >= 0: got n = {n} with f = {f}", nameof(updates));
        }

        var distances = SquaredDistances(layout, updates);
        var remaining = Enumerable.Range(0, n).ToList();
        var selected = new int[n - (2 * f)];
        var scores = new double[n];
        for (var step = 0; step < selected.Length; step++)
        {
            var neighbours = Math.Min(Math.Max(remaining.Count - f - 2, 1), remaining.Count - 1);
            var members = CollectionsMarshal.AsSpan(remaining);
            Scores(distances, n, members, neighbours, scores);

            // The first lowest score: remaining stays in index order, so ties go to the earlier update.
            var best = 0;
            for (var p = 1; p < members.Length; p++)
            {
                best = scores[p] < scores[best] ? p : best;
            }

            selected[step] = remaining[best];
            remaining.RemoveAt(best);
        }

        return selected;
    }

    /// <summary>
    /// Bulyan: with S the θ = n − 2f updates of <see cref="BulyanSelection"/> and β = θ − 2f, for
    /// each coordinate the mean of the β values of S closest to S's coordinate-wise median m:
    /// <c>w[j] = (1/β) · Σ_{v ∈ M_j} v</c>, <c>M_j = argmin_{M ⊂ S[j], |M| = β} Σ_{v ∈ M} |v − m[j]|</c>.
    /// Sorted, those β values are consecutive ranks [s, s + β) for some s in [0, 2f]; of windows with
    /// equal sums the lowest is kept.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="BulyanSelection"/>.</exception>
    public static Parameters Bulyan(ParameterLayout layout, IReadOnlyList<Parameters> updates, int f)
    {
        var selection = BulyanSelection(layout, updates, f).Order().Select(i => updates[i]).ToList();
        var kept = selection.Count - (2 * f);
        return ReduceSortedCoordinates(layout, selection, (in SortedRows rows, Span<float> destination) => MeanClosestToMedian(rows, kept, destination));
    }

    /// <summary>
    /// Norm bounding: the update with its delta <c>Δ = w_k − w_global</c> scaled to an L2 norm of at
    /// most <paramref name="bound"/>, <c>w_global + Δ · min(1, bound / ‖Δ‖)</c> (to float rounding);
    /// an update within the bound is returned as it is.
    /// </summary>
    /// <exception cref="ArgumentException">The layouts differ, or the bound is not positive.</exception>
    public static Parameters ClipUpdate(Parameters global, Parameters updated, double bound)
    {
        if (!(bound > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(bound), bound, "the norm bound must be positive");
        }

        var norm = Aggregation.UpdateNorm(global, updated);
        if (norm <= bound)
        {
            return updated;
        }

        var clipped = new float[global.Length];
        TensorPrimitives.Subtract(updated.Values, global.Values, clipped);
        TensorPrimitives.MultiplyAdd(clipped, (float)(bound / norm), global.Values, clipped);
        return Parameters.Wrap(global.Layout, clipped);
    }

    private static Parameters UnweightedMean(ParameterLayout layout, IReadOnlyList<Parameters> updates) =>
        Aggregation.WeightedMean(layout, [.. updates.Select(u => (u, 1))]);

    private static void RequireKrumCount(int n, int f)
    {
        if (f < 0 || n <= (2 * f) + 2)
        {
            throw new ArgumentException($"Krum needs n > 2f + 2 updates and f >= 0: got n = {n} with f = {f}", nameof(n));
        }
    }

    private static void RequireLayouts(ParameterLayout layout, IReadOnlyList<Parameters> updates)
    {
        if (updates.Count == 0)
        {
            throw new ArgumentException("cannot aggregate an empty list of updates", nameof(updates));
        }

        foreach (var update in updates)
        {
            Aggregation.RequireLayout(layout, update);
        }
    }

    // ‖w_i − w_j‖² for every pair, as a symmetric n × n table (row-major), each pair computed once.
    private static double[] SquaredDistances(ParameterLayout layout, IReadOnlyList<Parameters> updates)
    {
        RequireLayouts(layout, updates);
        var n = updates.Count;
        var table = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                double distance = TensorPrimitives.Distance(updates[i].Values, updates[j].Values);
                table[(i * n) + j] = table[(j * n) + i] = distance * distance;
            }
        }

        return table;
    }

    // scores[p] = the sum of the `neighbours` smallest squared distances from members[p] to the other members.
    private static void Scores(double[] distances, int n, ReadOnlySpan<int> members, int neighbours, Span<double> scores)
    {
        Span<double> others = new double[members.Length - 1];
        for (var p = 0; p < members.Length; p++)
        {
            var row = distances.AsSpan(members[p] * n, n);
            var o = 0;
            foreach (var member in members)
            {
                if (member != members[p])
                {
                    others[o++] = row[member];
                }
            }

            others.Sort();
            var score = 0.0;
            foreach (var d in others[..neighbours])
            {
                score += d;
            }

            scores[p] = score;
        }
    }

    // Sorts every coordinate's values block by block (see the class remarks) and lets `reduce`
    // turn each block's sorted rows into the block's result.
    private static Parameters ReduceSortedCoordinates(ParameterLayout layout, IReadOnlyList<Parameters> updates, SortedRowsReducer reduce)
    {
        RequireLayouts(layout, updates);
        var n = updates.Count;
        var length = layout.TotalLength;
        var width = BlockWidth(n, length);
        var network = SortingNetwork(n);

        // n value rows, the row a compare-exchange writes its minima to, the block's result, and a spare for the rule.
        var scratch = new float[(n + 3) * width];
        var rowStart = new int[n + 1];
        var destination = scratch.AsSpan((n + 1) * width, width);
        var spare = scratch.AsSpan((n + 2) * width, width);
        var result = new float[length];
        for (var start = 0; start < length; start += width)
        {
            var count = Math.Min(width, length - start);
            for (var k = 0; k <= n; k++)
            {
                rowStart[k] = k * width;
            }

            // A short last block is padded with zeros, so every row operation covers whole vectors.
            for (var k = 0; k < n; k++)
            {
                var row = scratch.AsSpan(k * width, width);
                updates[k].Values.Slice(start, count).CopyTo(row);
                row[count..].Clear();
            }

            foreach (var (i, j) in network)
            {
                var low = scratch.AsSpan(rowStart[n], width);
                var a = scratch.AsSpan(rowStart[i], width);
                var b = scratch.AsSpan(rowStart[j], width);
                TensorPrimitives.Min(a, b, low);
                TensorPrimitives.Max(a, b, b);

                // The minima become row i; row i's old storage is the next compare-exchange's spare.
                (rowStart[i], rowStart[n]) = (rowStart[n], rowStart[i]);
            }

            reduce(new SortedRows(scratch, rowStart, n, width, spare), destination);
            destination[..count].CopyTo(result.AsSpan(start));
        }

        return Parameters.Wrap(layout, result);
    }

    private static int BlockWidth(int rows, int length)
    {
        var lanes = Vector<float>.Count;
        var width = Math.Clamp(BlockFloats / (rows + 3), lanes, MaxBlockWidth) / lanes * lanes;
        return Math.Min(width, (length + lanes - 1) / lanes * lanes);
    }

    /// <summary>Batcher's merge exchange for n inputs: the compare-exchanges (i &lt; j) in the order to apply them.</summary>
    internal static List<(int Low, int High)> SortingNetwork(int n)
    {
        var pairs = new List<(int, int)>();
        if (n < 2)
        {
            return pairs;
        }

        var top = 1 << BitOperations.Log2((uint)(n - 1));
        for (var p = top; p > 0; p >>= 1)
        {
            int q = top, r = 0, d = p;
            while (true)
            {
                for (var i = 0; i < n - d; i++)
                {
                    if ((i & p) == r)
                    {
                        pairs.Add((i, i + d));
                    }
                }

                if (q == p)
                {
                    break;
                }

                (d, q, r) = (q - p, q >> 1, p);
            }
        }

        return pairs;
    }

    private static void MedianOfRows(in SortedRows rows, Span<float> destination)
    {
        var n = rows.Count;
        if (n % 2 == 1)
        {
            rows.Row(n / 2).CopyTo(destination);
            return;
        }

        // v/2 + u/2 rather than (v + u)/2: the same value, without overflow near float's range.
        TensorPrimitives.Multiply(rows.Row((n / 2) - 1), 0.5f, destination);
        TensorPrimitives.MultiplyAdd(rows.Row(n / 2), 0.5f, destination, destination);
    }

    // Bulyan's second stage on sorted rows: per coordinate, the window of `kept` consecutive ranks
    // whose distances to the median sum least, then the window's mean.
    private static void MeanClosestToMedian(in SortedRows rows, int kept, Span<float> destination)
    {
        var median = rows.Spare;
        MedianOfRows(rows, median);
        var lanes = Vector<float>.Count;
        var size = new Vector<int>(kept);
        for (var c = 0; c < rows.Width; c += lanes)
        {
            var m = new Vector<float>(median[c..]);

            // change = D(s) − D(0), where D(s) sums |v − m| over the window [s, s + kept): moving the
            // window from s − 1 to s trades rank s − 1 for rank s − 1 + kept.
            var change = Vector<float>.Zero;
            var best = Vector<float>.Zero;
            var start = Vector<int>.Zero;
            for (var s = 1; s <= rows.Count - kept; s++)
            {
                change += Vector.Abs(Lane(rows.Row(s - 1 + kept), c) - m) - Vector.Abs(Lane(rows.Row(s - 1), c) - m);
                var better = Vector.LessThan(change, best);
                best = Vector.ConditionalSelect(better, change, best);
                start = Vector.ConditionalSelect(better, new Vector<int>(s), start);
            }

            var sum = Vector<float>.Zero;
            for (var rank = 0; rank < rows.Count; rank++)
            {
                var r = new Vector<int>(rank);
                var inside = Vector.LessThanOrEqual(start, r) & Vector.LessThan(r, start + size);
                sum += Vector.ConditionalSelect(inside, Lane(rows.Row(rank), c), Vector<float>.Zero);
            }

            (sum / new Vector<float>(kept)).CopyTo(destination[c..]);
        }
    }

    private static Vector<float> Lane(ReadOnlySpan<float> row, int column) => new(row[column..]);

    // A block's rows after sorting: Row(r) holds every coordinate's r-th smallest value (from 0).
    private readonly ref struct SortedRows
    {
        private readonly ReadOnlySpan<float> _scratch;
        private readonly ReadOnlySpan<int> _rowStart;

        public SortedRows(ReadOnlySpan<float> scratch, ReadOnlySpan<int> rowStart, int count, int width, Span<float> spare)
        {
            _scratch = scratch;
            _rowStart = rowStart;
            Count = count;
            Width = width;
            Spare = spare;
        }

        public int Count { get; }

        public int Width { get; }

        // A row of scratch space for the rule.
        public Span<float> Spare { get; }

        public ReadOnlySpan<float> Row(int rank) => _scratch.Slice(_rowStart[rank], Width);
    }
}
