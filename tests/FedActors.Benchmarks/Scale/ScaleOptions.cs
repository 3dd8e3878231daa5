
namespace FedActors.Benchmarks.Scale;

/// <summary>Settings of the <c>scale</c> bench command.</summary>
/// <param name="Clients">Registered virtual clients, each a supervised actor.</param>
/// <param name="Rounds">Rounds of FedAvg.</param>
/// <param name="PerRound">Clients sampled per round.</param>
/// <param name="Parameters">Model size, in float32 parameters (one tensor).</param>
/// <param name="SamplesPerClient">Each client's sample count: its FedAvg weight and its number of steps (with batch 10).</param>
/// <param name="ProgressSeconds">Seconds between progress lines (allocation, heap, collections, RSS); 0 for none.</param>
public sealed record ScaleOptions(int Clients, int Rounds, int PerRound, int Parameters, int SamplesPerClient, int ProgressSeconds = 0)
{
    public const string Help = """
        scale: a FedAvg simulation of N registered clients, each a supervised actor, with a pure C#
        trainer (QuadraticTrainer: a synthetic objective, no data set and no libtorch), so that
        what is measured is the runtime: registration time, each round's split (sampling, sending,
        fit phase and the time trainers spent in Fit, aggregation), managed memory and RSS.
        Run it under /usr/bin/time -v for the peak RSS.

        options:
          --clients N      registered clients (default 10000)
          --rounds R       rounds (default 20)
          --per-round K    clients sampled per round (default 100)
          --parameters P   model size (default 100352: 784 x 128)
          --samples S      samples per client (default 60)
          --progress T     every T seconds, a line of allocation, heap, GC counts and RSS
        """;

    /// <summary>Parses the options after the command name; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown option or an invalid value.</exception>
    public static ScaleOptions? Parse(ReadOnlySpan<string> args)
    {
        if (OptionPairs.Read(args) is not { } pairs)
        {
            return null;
        }

        var options = new ScaleOptions(10_000, 20, 100, 100_352, 60);
        foreach (var (name, value) in pairs)
        {
            var n = OptionPairs.Positive(name, value);
            options = name switch
            {
                "--clients" => options with { Clients = n },
                "--rounds" => options with { Rounds = n },
                "--per-round" => options with { PerRound = n },
                "--parameters" => options with { Parameters = n },
                "--samples" => options with { SamplesPerClient = n },
                "--progress" => options with { ProgressSeconds = n },
                _ => throw new ArgumentException($"unknown option '{name}' (see `scale --help`)"),
            };
        }

        return options.PerRound > options.Clients
            ? throw new ArgumentException($"--per-round {options.PerRound} is more than --clients {options.Clients}")
            : options;
    }
}
