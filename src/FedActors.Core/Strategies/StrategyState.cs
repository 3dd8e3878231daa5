using System.Collections.Immutable;
using FedActors.Core.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>What a stateful strategy keeps between rounds, as named tensors and scalars, so that a checkpoint can hold it.</summary>
/// <param name="Tensors">Named tensors (e.g. FedAdam's m and v, SCAFFOLD's global control variate).</param>
/// <param name="Scalars">Named scalars (e.g. a step count, an adaptive clip norm).</param>
public sealed record StrategyState(ImmutableSortedDictionary<string, Parameters> Tensors, ImmutableSortedDictionary<string, double> Scalars)
{
    /// <summary>No state.</summary>
    public static readonly StrategyState Empty = new(NamedTensors.Empty, NamedTensors.NoHyperparameters);

    /// <summary>True when there is nothing in it.</summary>
    public bool IsEmpty => Tensors.IsEmpty && Scalars.IsEmpty;

    /// <summary>The state of a strategy that keeps one tensor (none yet when null).</summary>
    public static StrategyState OfTensor(string name, Parameters? tensor) =>
        tensor is null ? Empty : Empty with { Tensors = NamedTensors.Empty.Add(name, tensor) };

    /// <summary>The one tensor <see cref="OfTensor"/> stored; null when the state is empty.</summary>
    /// <exception cref="ArgumentException">The state holds anything else (another strategy's checkpoint).</exception>
    public Parameters? SingleTensor(string name, string strategy)
    {
        if (IsEmpty)
        {
            return null;
        }

        return Scalars.IsEmpty && Tensors.Count == 1 && Tensors.TryGetValue(name, out var tensor)
            ? tensor
            : throw new ArgumentException($"strategy {strategy} keeps one tensor '{name}', but the checkpoint holds {Describe()}", nameof(name));
    }

    /// <summary>The names it holds, for error messages.</summary>
    public string Describe() =>
        IsEmpty ? "no state" : $"tensors [{string.Join(", ", Tensors.Keys)}] and scalars [{string.Join(", ", Scalars.Keys)}]";
}
