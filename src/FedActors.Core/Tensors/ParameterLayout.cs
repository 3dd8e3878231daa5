using System.Collections.Immutable;

namespace FedActors.Core.Tensors;

/// <summary>
/// The ordered list of tensors that make up a model's parameters, and where each one sits in
/// the contiguous buffer. Layouts are compared structurally, so an update that crossed the wire
/// matches the global model's layout when its names and shapes agree.
/// </summary>
public sealed class ParameterLayout
{
    private readonly ImmutableArray<int> _offsets;
    private readonly Dictionary<string, int> _indexByName;

    /// <summary>Creates a layout; tensor names must be unique.</summary>
    public ParameterLayout(IEnumerable<TensorSpec> tensors)
    {
        Tensors = tensors.ToImmutableArray();
        if (Tensors.IsEmpty)
        {
            throw new ArgumentException("a parameter layout needs at least one tensor", nameof(tensors));
        }

        var offsets = ImmutableArray.CreateBuilder<int>(Tensors.Length);
        _indexByName = new Dictionary<string, int>(Tensors.Length, StringComparer.Ordinal);
        long total = 0;
        for (var i = 0; i < Tensors.Length; i++)
        {
            if (!_indexByName.TryAdd(Tensors[i].Name, i))
            {
                throw new ArgumentException($"tensor name '{Tensors[i].Name}' appears twice in the layout", nameof(tensors));
            }

            offsets.Add((int)total);
            total += Tensors[i].Length;
            if (total > Array.MaxLength)
            {
                throw new ArgumentException($"the layout holds {total} elements, more than one buffer can hold", nameof(tensors));
            }
        }

        _offsets = offsets.MoveToImmutable();
        TotalLength = (int)total;
    }

    /// <summary>The tensors in buffer order.</summary>
    public ImmutableArray<TensorSpec> Tensors { get; }

    /// <summary>The number of float32 elements over all tensors.</summary>
    public int TotalLength { get; }

    /// <summary>Where tensor <paramref name="index"/> starts in the buffer.</summary>
    public int OffsetOf(int index) => _offsets[index];

    /// <summary>The position of the named tensor, or -1 when the layout has no such tensor.</summary>
    public int IndexOf(string name) => _indexByName.GetValueOrDefault(name, -1);

    /// <summary>True when both layouts list the same tensors, with the same shapes, in the same order.</summary>
    public bool Matches(ParameterLayout other)
    {
        if (ReferenceEquals(this, other))
        {
            return true;
        }

        if (other.TotalLength != TotalLength || other.Tensors.Length != Tensors.Length)
        {
            return false;
        }

        for (var i = 0; i < Tensors.Length; i++)
        {
            if (!Tensors[i].SameAs(other.Tensors[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Says how <paramref name="other"/> differs from this layout, for error messages; null when they match.</summary>
    public string? DescribeMismatch(ParameterLayout other)
    {
        if (Matches(other))
        {
            return null;
        }

        for (var i = 0; i < Math.Min(Tensors.Length, other.Tensors.Length); i++)
        {
            if (!Tensors[i].SameAs(other.Tensors[i]))
            {
                return $"tensor {i} is {other.Tensors[i]} where {Tensors[i]} was expected";
            }
        }

        return $"{other.Tensors.Length} tensors where {Tensors.Length} were expected";
    }

    /// <inheritdoc />
    public override string ToString() => $"{Tensors.Length} tensors, {TotalLength} values";
}
