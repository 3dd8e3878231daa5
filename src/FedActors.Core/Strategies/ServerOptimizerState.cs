using System.Collections.Immutable;
using System.Numerics.Tensors;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The checks FedAvgM and the FedOpt family share on their arguments and on the state they
/// restore. State names carry the strategy's name (<c>fedadam.m</c>), so that a checkpoint of
/// one optimiser is never read as another's.
/// </summary>
internal static class ServerOptimizerState
{
    /// <summary>A state of the given tensors and scalars, in the ordinal key order every map uses.</summary>
    public static StrategyState Of(IEnumerable<(string Name, Parameters Value)> tensors, IEnumerable<(string Name, double Value)> scalars) => new(
        tensors.ToImmutableSortedDictionary(t => t.Name, t => t.Value, StringComparer.Ordinal),
        scalars.ToImmutableSortedDictionary(s => s.Name, s => s.Value, StringComparer.Ordinal));

    /// <summary>Throws unless <paramref name="state"/> holds exactly the named tensors (of one layout, finite) and scalars.</summary>
    /// <exception cref="ArgumentException">It holds other names, tensors of two layouts, or a non-finite value.</exception>
    public static void RequireExactly(StrategyState state, string strategy, IReadOnlyList<string> tensors, IReadOnlyList<string> scalars)
    {
        if (!state.Tensors.Keys.SequenceEqual(tensors.Order(StringComparer.Ordinal)) || !state.Scalars.Keys.SequenceEqual(scalars.Order(StringComparer.Ordinal)))
        {
            var expected = $"tensors [{string.Join(", ", tensors)}]" + (scalars.Count == 0 ? string.Empty : $" and scalars [{string.Join(", ", scalars)}]");
            throw new ArgumentException($"strategy {strategy} keeps {expected}, but the checkpoint holds {state.Describe()} (another strategy's state?)", nameof(state));
        }

        var first = state.Tensors[tensors[0]];
        foreach (var name in tensors)
        {
            var tensor = state.Tensors[name];
            if (first.Layout.DescribeMismatch(tensor.Layout) is { } mismatch)
            {
                throw new ArgumentException($"strategy {strategy}'s checkpointed {name} has another layout than its {tensors[0]}: {mismatch}", nameof(state));
            }

            if (!tensor.AllFinite())
            {
                throw new ArgumentException($"strategy {strategy}'s checkpointed {name} holds NaN or infinity", nameof(state));
            }
        }
    }

    /// <summary>The scalar <paramref name="name"/> as a whole number of at least 1.</summary>
    /// <exception cref="ArgumentException">It is not one.</exception>
    public static int RequireCount(StrategyState state, string strategy, string name)
    {
        var value = state.Scalars[name];
        return value >= 1 && value <= int.MaxValue && Math.Floor(value) == value
            ? (int)value
            : throw new ArgumentException($"strategy {strategy}'s checkpointed {name} is {value}, but must be a whole number >= 1", nameof(state));
    }

    /// <summary>Throws when the checkpointed tensor <paramref name="name"/> holds a negative value (a second moment cannot).</summary>
    /// <exception cref="ArgumentException">It does.</exception>
    public static void RequireNonNegative(StrategyState state, string strategy, string name)
    {
        if (TensorPrimitives.Min(state.Tensors[name].Values) < 0f)
        {
            throw new ArgumentException($"strategy {strategy}'s checkpointed {name} holds a negative value, which a second moment cannot", nameof(state));
        }
    }

    /// <summary>Returns <paramref name="kept"/> when it is in the global model's layout (a restored state is checked here, on first use).</summary>
    /// <exception cref="ArgumentException">It is not: the checkpoint belongs to another model.</exception>
    public static Parameters RequireModelLayout(Parameters kept, Parameters global, string strategy, string name)
    {
        var mismatch = global.Layout.DescribeMismatch(kept.Layout);
        return mismatch is null
            ? kept
            : throw new ArgumentException($"strategy {strategy}'s {name} (restored from a checkpoint?) does not match the global model: {mismatch}", nameof(kept));
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and positive.</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static double RequirePositive(double value, string name) =>
        double.IsFinite(value) && value > 0 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0");

    /// <summary>Throws unless <paramref name="value"/> is a decay rate in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">It is not.</exception>
    public static double RequireDecay(double value, string name) =>
        value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, 1)");
}
