using FedActors.Torch.Models;

namespace FedActors.Benchmarks.RoundSplit;

/// <summary>Settings of the <c>round-split</c> bench command.</summary>
/// <param name="Model">The model every client trains.</param>
/// <param name="Clients">Registered clients; the 60,000 Fashion-MNIST training images are split IID among them.</param>
/// <param name="PerRound">Clients sampled per round.</param>
/// <param name="Rounds">Rounds of FedAvg.</param>
/// <param name="Parallelism">Training threads (<c>fedactors.training.parallelism</c>).</param>
/// <param name="Seed">Seed of the split, the model and the sampling.</param>
public sealed record RoundSplitOptions(ModelKind Model, int Clients, int PerRound, int Rounds, int Parallelism, int Seed)
{
    public const string Help = """
        round-split: where a round's time goes in a FedAvg simulation on Fashion-MNIST (TorchSharp
        trainers, central evaluation on the 10,000 test images after every round, the defaults of
        reference.conf otherwise: 1 local epoch, batch 32; learning rate 0.05, as README's MLP runs). Per round it splits the wall time into
        the trainers' Fit (thread time / training threads), central evaluation, and the rest:
        sampling, messages, validation, aggregation, bookkeeping and training threads left idle.

        options:
          --model M        mlp (default), cnn, logistic-regression
          --clients N      registered clients (default 1000: 60 samples each)
          --per-round K    clients sampled per round (default 100)
          --rounds R       rounds (default 100)
          --parallelism P  training threads (default 2)
          --seed S         seed (default 42)
        """;

    /// <summary>Parses the options after the command name; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown option or an invalid value.</exception>
    public static RoundSplitOptions? Parse(ReadOnlySpan<string> args)
    {
        if (OptionPairs.Read(args) is not { } pairs)
        {
            return null;
        }

        var options = new RoundSplitOptions(ModelKind.Mlp, 1000, 100, 100, 2, 42);
        foreach (var (name, value) in pairs)
        {
            options = name switch
            {
                "--model" => options with { Model = ModelKindNames.Parse(value) },
                "--clients" => options with { Clients = OptionPairs.Positive(name, value) },
                "--per-round" => options with { PerRound = OptionPairs.Positive(name, value) },
                "--rounds" => options with { Rounds = OptionPairs.Positive(name, value) },
                "--parallelism" => options with { Parallelism = OptionPairs.Positive(name, value) },
                "--seed" => options with { Seed = OptionPairs.Positive(name, value) },
                _ => throw new ArgumentException($"unknown option '{name}' (see `round-split --help`)"),
            };
        }

        return options.PerRound > options.Clients
            ? throw new ArgumentException($"--per-round {options.PerRound} is more than --clients {options.Clients}")
            : options;
    }
}
