namespace FedActors.Torch.Partitioning;

/// <summary>
/// Creates a partitioner from the scheme names of <c>fedactors.simulation.partitioning</c>:
/// iid, dirichlet, shards, label-quantity, quantity-skew.
/// </summary>
public static class PartitionerFactory
{
    /// <summary>The scheme names this factory accepts.</summary>
    public static IReadOnlyList<string> SchemeNames { get; } = ["iid", "dirichlet", "shards", "label-quantity", "quantity-skew"];

    /// <summary>Creates the partitioner for <paramref name="scheme"/>; only the arguments that scheme uses are checked.</summary>
    /// <param name="scheme">One of <see cref="SchemeNames"/>.</param>
    /// <param name="seed">Seed of all the partitioner's random choices.</param>
    /// <param name="alpha">Concentration for dirichlet and quantity-skew (&gt; 0).</param>
    /// <param name="shardsPerClient">Shards per client for shards (&gt;= 1).</param>
    /// <param name="labelsPerClient">Labels per client for label-quantity (1..10).</param>
    /// <exception cref="ArgumentException">Unknown scheme, or an argument out of range.</exception>
    public static IPartitioner Create(string scheme, int seed, double alpha = 0.5, int shardsPerClient = 2, int labelsPerClient = 2) =>
        scheme switch
        {
            "iid" => new IidPartitioner(seed),
            "dirichlet" => new DirichletPartitioner(alpha, seed),
            "shards" => new ShardPartitioner(shardsPerClient, seed),
            "label-quantity" => new LabelQuantityPartitioner(labelsPerClient, seed),
            "quantity-skew" => new QuantitySkewPartitioner(alpha, seed),
            _ => throw new ArgumentException($"unknown partitioning scheme '{scheme}'; valid schemes are {string.Join(", ", SchemeNames)}", nameof(scheme)),
        };
}
