using System.Globalization;
using FedActors.Torch.Models;

namespace FedActors.Benchmarks.Overhead;

/// <summary>Settings of the <c>overhead</c> bench command; every value has a default that runs in a few minutes.</summary>
/// <param name="Models">The models to measure, one table each.</param>
/// <param name="Clients">Simulated clients; all of them train in every round (fraction-fit 1.0).</param>
/// <param name="SamplesPerClient">Training samples per client; a multiple of <paramref name="BatchSize"/> so every batch is full.</param>
/// <param name="BatchSize">Samples per SGD step.</param>
/// <param name="Epochs">Local epochs per round.</param>
/// <param name="Rounds">Rounds per run, or null for the model's default (<see cref="DefaultRounds"/>).</param>
/// <param name="Repeat">Measured repetitions of each variant, interleaved.</param>
/// <param name="LearningRate">SGD learning rate (does not change the work done).</param>
/// <param name="Seed">Seed of the data split, the initial model and the shuffles.</param>
/// <param name="Profile">Whether to measure the fixed per-fit and per-round costs after the runs.</param>
public sealed record OverheadOptions(
    IReadOnlyList<ModelKind> Models,
    int Clients,
    int SamplesPerClient,
    int BatchSize,
    int Epochs,
    int? Rounds,
    int Repeat,
    double LearningRate,
    int Seed,
    bool Profile)
{
    public const string Help = """
        overhead: a simulated FedAvg run (InProcessSimulation) against a plain TorchSharp loop
        over exactly the same samples, model, batch size, epochs and one libtorch thread per
        training thread. Variants, measured interleaved (a,b,c,a,b,c,...) after one warm-up:
          (a) plain loop: one module, one SGD optimiser, rounds x clients x samples-per-client
              samples in batches of batch-size, no actors;
          (b) simulation, parallelism 1 (sequential clients), fraction-fit 1.0, no central evaluator;
          (c) the same with parallelism 2 (two clients train at once).
        Targets (issue 8): b/a <= 1.05, c/a <= 0.60.

        options:
          --model M              cnn | mlp | logistic-regression | niid-cnn, a comma list, or all
                                 (default cnn)
          --clients N            simulated clients (default 10)
          --samples-per-client S training samples per client, a multiple of the batch size (default 640)
          --batch-size B         (default 32)
          --epochs E             local epochs per round (default 1)
          --rounds R             rounds per run (default: cnn 2, niid-cnn 10, mlp 10, logistic-regression 30)
          --repeat K             measured repetitions of each variant (default 3)
          --lr X                 learning rate (default 0.05)
          --seed X               (default 42)
          --no-profile           skip the per-fit cost breakdown
        """;

    /// <summary>Rounds per run when none are given: enough work that a run lasts a few seconds.</summary>
    public static int DefaultRounds(ModelKind model) => model switch
    {
        ModelKind.Cnn => 2,
        ModelKind.NiidCnn => 10,
        ModelKind.Mlp => 10,
        _ => 30,
    };

    /// <summary>The rounds a run of <paramref name="model"/> uses.</summary>
    public int RoundsFor(ModelKind model) => Rounds ?? DefaultRounds(model);

    /// <summary>Parses the options after the command name; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown option or an invalid value.</exception>
    public static OverheadOptions? Parse(ReadOnlySpan<string> args)
    {
        var options = new OverheadOptions([ModelKind.Cnn], 10, 640, 32, 1, null, 3, 0.05, 42, true);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "-h" or "--help")
            {
                return null;
            }

            if (name == "--no-profile")
            {
                options = options with { Profile = false };
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"option '{name}' needs a value");
            }

            var value = args[++i];
            options = name switch
            {
                "--model" => options with { Models = ParseModels(value) },
                "--clients" => options with { Clients = PositiveInt(name, value) },
                "--samples-per-client" => options with { SamplesPerClient = PositiveInt(name, value) },
                "--batch-size" => options with { BatchSize = PositiveInt(name, value) },
                "--epochs" => options with { Epochs = PositiveInt(name, value) },
                "--rounds" => options with { Rounds = PositiveInt(name, value) },
                "--repeat" => options with { Repeat = PositiveInt(name, value) },
                "--lr" => options with { LearningRate = PositiveDouble(name, value) },
                "--seed" => options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option '{name}' (see `overhead --help`)"),
            };
        }

        if (options.SamplesPerClient % options.BatchSize != 0)
        {
            throw new ArgumentException(
                $"--samples-per-client {options.SamplesPerClient} is not a multiple of --batch-size {options.BatchSize}: " +
                "the plain loop and the clients would then run different batches");
        }

        if ((long)options.Clients * options.SamplesPerClient > 60_000)
        {
            throw new ArgumentException($"{options.Clients} clients x {options.SamplesPerClient} samples exceed the 60,000 Fashion-MNIST training images");
        }

        return options;
    }

    private static List<ModelKind> ParseModels(string value) =>
        value == "all"
            ? [ModelKind.Cnn, ModelKind.Mlp, ModelKind.LogisticRegression]
            : [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ModelKindNames.Parse)];

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new ArgumentException($"option '{name}' needs a whole number >= 1, not '{value}'");

    private static double PositiveDouble(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0
            ? x
            : throw new ArgumentException($"option '{name}' needs a number > 0, not '{value}'");
}
