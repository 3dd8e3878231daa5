
namespace FedActors.Benchmarks.Wire;

/// <summary>Settings of the <c>cluster-round</c> bench command.</summary>
/// <param name="Parameters">Model size, in float32 parameters (one tensor).</param>
/// <param name="Rounds">Rounds of FedAvg.</param>
/// <param name="Nodes">Client nodes.</param>
/// <param name="ClientsPerNode">Clients each node hosts; every client is sampled every round.</param>
public sealed record ClusterRoundOptions(int Parameters, int Rounds, int Nodes, int ClientsPerNode)
{
    public const string Help = """
        cluster-round: FedAvg rounds of a large model across a server node and client nodes, all
        actor systems of this process on 127.0.0.1 with the cluster's default heartbeats (1 s,
        4 s acceptable pause), through the real cluster path (ServerNode, ClientNode), with a pure
        C# trainer (QuadraticTrainer) so that the wire, not training, is what takes the time.
        Prints each round's split: sending (sampling and handing out requests), then per client
        the time until its request arrived and training began, its training, and from its last
        update to the end of the fit phase; aggregation; the round's total; and every client
        dropped and every node the server counted unreachable.

        options:
          --parameters P         model size (default 25000000: 100 MB of float32)
          --rounds R             rounds (default 3)
          --nodes N              client nodes (default 2)
          --clients-per-node K   clients on each node (default 1)
        """;

    /// <summary>Parses the options after the command name; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown option or an invalid value.</exception>
    public static ClusterRoundOptions? Parse(ReadOnlySpan<string> args)
    {
        if (OptionPairs.Read(args) is not { } pairs)
        {
            return null;
        }

        var options = new ClusterRoundOptions(25_000_000, 3, 2, 1);
        foreach (var (name, value) in pairs)
        {
            var n = OptionPairs.Positive(name, value);
            options = name switch
            {
                "--parameters" => options with { Parameters = n },
                "--rounds" => options with { Rounds = n },
                "--nodes" => options with { Nodes = n },
                "--clients-per-node" => options with { ClientsPerNode = n },
                _ => throw new ArgumentException($"unknown option '{name}' (see `cluster-round --help`)"),
            };
        }

        return options;
    }
}
