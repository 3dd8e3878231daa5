namespace FedActors.Torch.Partitioning;

/// <summary>The steps the partitioners share: validation, shuffling, splitting and the final tidy-up.</summary>
internal static class PartitionMath
{
    /// <summary>Throws unless 1 &lt;= clientCount &lt;= the number of samples.</summary>
    public static void ValidateClientCount(int clientCount, int sampleCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clientCount, 1);
        if (clientCount > sampleCount)
        {
            throw new ArgumentException($"{clientCount} clients cannot share {sampleCount} samples: every client needs at least one", nameof(clientCount));
        }
    }

    /// <summary>Throws unless the Dirichlet concentration is a positive finite number.</summary>
    public static double ValidateAlpha(double alpha)
    {
        if (!(alpha > 0) || !double.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "the concentration alpha must be a positive finite number");
        }

        return alpha;
    }

    /// <summary>A seeded random permutation of 0..n-1.</summary>
    public static int[] Permutation(int n, Random random)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        random.Shuffle(order);
        return order;
    }

    /// <summary>The sample indices of each label 0..max label, each in ascending order.</summary>
    public static int[][] IndicesByLabel(ReadOnlySpan<byte> labels)
    {
        var classCount = ClassCount(labels);
        var counts = new int[classCount];
        foreach (var label in labels)
        {
            counts[label]++;
        }

        var byLabel = new int[classCount][];
        for (var c = 0; c < classCount; c++)
        {
            byLabel[c] = new int[counts[c]];
        }

        Array.Clear(counts);
        for (var i = 0; i < labels.Length; i++)
        {
            byLabel[labels[i]][counts[labels[i]]++] = i;
        }

        return byLabel;
    }

    /// <summary>One more than the largest label: labels are taken to be 0..classCount-1.</summary>
    public static int ClassCount(ReadOnlySpan<byte> labels)
    {
        var max = 0;
        foreach (var label in labels)
        {
            max = Math.Max(max, label);
        }

        return max + 1;
    }

    /// <summary>Sizes of <paramref name="parts"/> near-equal pieces of <paramref name="total"/>; the first total % parts are one larger.</summary>
    public static int[] EqualSizes(int total, int parts)
    {
        var sizes = new int[parts];
        for (var i = 0; i < parts; i++)
        {
            sizes[i] = (total / parts) + (i < total % parts ? 1 : 0);
        }

        return sizes;
    }

    /// <summary>
    /// Sizes proportional to <paramref name="proportions"/> (which sum to 1) that add up to
    /// exactly <paramref name="total"/>: cut points are floor(cumulative share x total).
    /// </summary>
    public static int[] ProportionalSizes(int total, ReadOnlySpan<double> proportions)
    {
        var sizes = new int[proportions.Length];
        double cumulative = 0;
        var previousCut = 0;
        for (var i = 0; i < proportions.Length; i++)
        {
            cumulative += proportions[i];
            var cut = i == proportions.Length - 1 ? total : Math.Clamp((int)Math.Floor(cumulative * total), previousCut, total);
            sizes[i] = cut - previousCut;
            previousCut = cut;
        }

        return sizes;
    }

    /// <summary>Deals consecutive runs of <paramref name="source"/> of the given sizes to the clients.</summary>
    public static void Deal(ReadOnlySpan<int> source, ReadOnlySpan<int> sizes, List<int>[] clients)
    {
        var start = 0;
        for (var c = 0; c < sizes.Length; c++)
        {
            clients[c].AddRange(source.Slice(start, sizes[c]));
            start += sizes[c];
        }
    }

    /// <summary>Fresh empty index lists, one per client.</summary>
    public static List<int>[] EmptyClients(int clientCount)
    {
        var clients = new List<int>[clientCount];
        for (var c = 0; c < clientCount; c++)
        {
            clients[c] = [];
        }

        return clients;
    }

    /// <summary>Each client's indices, sorted ascending; throws when a client got nothing.</summary>
    public static int[][] Sorted(List<int>[] clients, string scheme)
    {
        var result = new int[clients.Length][];
        for (var c = 0; c < clients.Length; c++)
        {
            if (clients[c].Count == 0)
            {
                throw new ArgumentException($"the {scheme} partitioning left client {c} of {clients.Length} without samples; use fewer clients or more data");
            }

            result[c] = [.. clients[c]];
            Array.Sort(result[c]);
        }

        return result;
    }
}
