namespace FedActors.Cli.Output;

/// <summary>
/// The published NIID-Bench figures for Fashion-MNIST that <c>fedactors benchmark</c> compares
/// its cells with: best test accuracy across rounds, mean ± standard deviation over seeds, in
/// percent, for the setting of hocon/niid-bench.conf.
/// </summary>
internal static class NiidBenchFigures
{
    /// <summary>Where the figures come from, as results.md cites it.</summary>
    public const string Source =
        "Li, Diao, Chen and He 2022, \"Federated Learning on Non-IID Data Silos: An Experimental Study\" (arXiv:2102.02079), "
        + "Fashion-MNIST, as reproduced by Flower's baseline (adap/flower, baselines/niid_bench/README.md, \"Expected Results\", "
        + "commit 73ec95c): best accuracy across rounds, mean ± std over seeds";

    /// <summary>One published cell.</summary>
    /// <param name="Strategy">The strategy's name in <c>fedactors.strategy.name</c>.</param>
    /// <param name="Partition">The partition's name on the benchmark's command line.</param>
    /// <param name="Mean">Mean best test accuracy over the seeds, in percent.</param>
    /// <param name="Std">Its standard deviation over the seeds, in percent points.</param>
    internal sealed record Figure(string Strategy, string Partition, double Mean, double Std);

    /// <summary>
    /// The figures, by partition. Source: Li et al. 2022 (arXiv:2102.02079), Fashion-MNIST, as
    /// reproduced by Flower's NIID-Bench baseline, adap/flower baselines/niid_bench/README.md at
    /// commit 73ec95c, table "Expected Results", row FMNIST (its columns are FedAvg, SCAFFOLD,
    /// FedProx, FedNova; #C=k is its "Sort and Partition (k)").
    /// </summary>
    public static IReadOnlyList<Figure> FashionMnist { get; } =
    [
        // IID
        new("fedavg", "iid", 89.23, 0.45),
        new("fedprox", "iid", 89.42, 0.09),
        new("scaffold", "iid", 89.33, 0.27),
        new("fednova", "iid", 89.36, 0.09),

        // Dirichlet(0.5) label skew
        new("fedavg", "dirichlet-0.5", 88.09, 0.29),
        new("fedprox", "dirichlet-0.5", 88.15, 0.42),
        new("scaffold", "dirichlet-0.5", 88.44, 0.25),
        new("fednova", "dirichlet-0.5", 88.22, 0.12),

        // #C=2: two labels per client
        new("fedavg", "label-quantity-2", 78.10, 2.51),
        new("fedprox", "label-quantity-2", 78.05, 0.99),
        new("scaffold", "label-quantity-2", 33.80, 41.22),
        new("fednova", "label-quantity-2", 71.67, 2.34),

        // #C=3: three labels per client
        new("fedavg", "label-quantity-3", 82.43, 1.52),
        new("fedprox", "label-quantity-3", 82.99, 0.48),
        new("scaffold", "label-quantity-3", 80.32, 5.03),
        new("fednova", "label-quantity-3", 81.97, 1.34),
    ];

    /// <summary>The strategies with figures, in the table's order: the benchmark's default strategies.</summary>
    public static IReadOnlyList<string> Strategies { get; } = [.. FashionMnist.Select(f => f.Strategy).Distinct()];

    /// <summary>The partitions with figures, in the table's order: the benchmark's default partitions.</summary>
    public static IReadOnlyList<string> Partitions { get; } = [.. FashionMnist.Select(f => f.Partition).Distinct()];

    /// <summary>The published figure of a cell, if there is one.</summary>
    public static Figure? Find(string strategy, string partition) =>
        FashionMnist.FirstOrDefault(f => f.Strategy == strategy && f.Partition == partition);
}
