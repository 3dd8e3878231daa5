using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Simulation;

/// <summary>What a simulation's Byzantine clients do, for robustness experiments.</summary>
public enum AttackKind
{
    /// <summary>No attack.</summary>
    None,

    /// <summary>Send the honest update reversed: <c>w_g − (w_k − w_g)</c>.</summary>
    SignFlip,

    /// <summary>Send the honest update scaled: <c>w_g + s·(w_k − w_g)</c>.</summary>
    Scale,

    /// <summary>Send noise instead of an update: <c>w_g + N(0, σ²)</c> per coordinate, seeded by the fit's seed.</summary>
    GaussianNoise,

    /// <summary>Train honestly on poisoned data: every label y becomes <c>C − 1 − y</c> (the data layer applies it).</summary>
    LabelFlip,
}

/// <summary>
/// A seeded share of a simulation's clients that attack, and how. The attackers are a seeded
/// choice of <c>round(fraction · N)</c> clients, named in the run's metrics. Model-poisoning
/// attacks wrap the attackers' trainers (<see cref="Wrap"/>); label flipping poisons their
/// data, which only the data layer can do.
/// </summary>
/// <param name="Kind">What the attackers do.</param>
/// <param name="Fraction">Share of the clients that attack, in [0, 1).</param>
/// <param name="Scale">s for <see cref="AttackKind.Scale"/>.</param>
/// <param name="NoiseStd">σ for <see cref="AttackKind.GaussianNoise"/>.</param>
public sealed record ByzantineAttack(AttackKind Kind, double Fraction, double Scale, double NoiseStd)
{
    /// <summary>No attack.</summary>
    public static readonly ByzantineAttack None = new(AttackKind.None, 0, 1, 0);

    /// <summary>The attackers among <paramref name="clients"/>: a seeded choice, in id order; none without an attack.</summary>
    public IReadOnlySet<ClientId> ChooseAttackers(IReadOnlyList<ClientId> clients, int runSeed)
    {
        if (Kind == AttackKind.None || Fraction <= 0)
        {
            return new HashSet<ClientId>();
        }

        var count = (int)Math.Round(Fraction * clients.Count, MidpointRounding.AwayFromZero);
        return ClientSampler.Sample(clients, (double)count / clients.Count, count, SeedDerivation.ForRound(runSeed, "attackers", RoundNumber.Initial, 1)).ToHashSet();
    }

    /// <summary>The trainer factory with the attackers' trainers poisoning their updates (label flipping leaves them alone: see the data layer).</summary>
    public Func<ClientId, ITrainer> Wrap(Func<ClientId, ITrainer> factory, IReadOnlySet<ClientId> attackers) =>
        Kind is AttackKind.None or AttackKind.LabelFlip || attackers.Count == 0
            ? factory
            : id => attackers.Contains(id) ? new PoisoningTrainer(factory(id), this) : factory(id);

    /// <summary>The poisoned update for an honest one.</summary>
    public Parameters Poison(Parameters global, Parameters honest, int seed)
    {
        var g = global.Values;
        var w = honest.Values;
        var poisoned = new float[w.Length];
        var random = new Random(seed);
        for (var i = 0; i < poisoned.Length; i++)
        {
            poisoned[i] = Kind switch
            {
                AttackKind.SignFlip => g[i] - (w[i] - g[i]),
                AttackKind.Scale => g[i] + (float)(Scale * (w[i] - g[i])),
                AttackKind.GaussianNoise => g[i] + (float)(NoiseStd * Normal(random)),
                _ => w[i],
            };
        }

        return Parameters.Wrap(honest.Layout, poisoned);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private sealed class PoisoningTrainer(ITrainer inner, ByzantineAttack attack) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            var honest = inner.Fit(task, cancellation);
            return honest with { Updated = attack.Poison(task.Global, honest.Updated, task.Seed) };
        }

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }
}
