namespace FedActors.Torch.Models;

/// <summary>Converts between <see cref="ModelKind"/> and its name in <c>fedactors.simulation.model</c>.</summary>
public static class ModelKindNames
{
    private static readonly (string Name, ModelKind Kind)[] s_names =
    [
        ("logistic-regression", ModelKind.LogisticRegression),
        ("mlp", ModelKind.Mlp),
        ("cnn", ModelKind.Cnn),
        ("niid-cnn", ModelKind.NiidCnn),
    ];

    /// <summary>Every valid config name.</summary>
    public static IReadOnlyList<string> All { get; } = [.. s_names.Select(n => n.Name)];

    /// <summary>The model for a config name (exact, lower case).</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="All"/>; the message lists them.</exception>
    public static ModelKind Parse(string name)
    {
        foreach (var (candidate, kind) in s_names)
        {
            if (candidate == name)
            {
                return kind;
            }
        }

        throw new ArgumentException($"unknown model '{name}'; valid models are {string.Join(", ", All)}", nameof(name));
    }

    /// <summary>The config name of <paramref name="kind"/>.</summary>
    public static string ToConfigName(this ModelKind kind) =>
        s_names.FirstOrDefault(n => n.Kind == kind).Name ?? throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a model kind");
}
