using System.Collections.Immutable;

namespace FedActors.Core.Tensors;

/// <summary>The name and shape of one tensor inside a <see cref="Parameters"/> buffer.</summary>
public sealed record TensorSpec
{
    /// <summary>Creates a spec; every dimension must be positive.</summary>
    /// <param name="name">The tensor's name, as in a model's state dict (e.g. <c>fc1.weight</c>).</param>
    /// <param name="shape">The tensor's dimensions, outermost first; empty for a scalar.</param>
    public TensorSpec(string name, ImmutableArray<int> shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (shape.IsDefault)
        {
            throw new ArgumentException("shape must not be default", nameof(shape));
        }

        long length = 1;
        foreach (var dim in shape)
        {
            if (dim <= 0)
            {
                throw new ArgumentException($"tensor '{name}' has a non-positive dimension in shape [{string.Join(", ", shape)}]", nameof(shape));
            }

            length *= dim;
        }

        if (length > Array.MaxLength)
        {
            throw new ArgumentException($"tensor '{name}' has {length} elements, more than one buffer can hold", nameof(shape));
        }

        Name = name;
        Shape = shape;
        Length = (int)length;
    }

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The tensor's dimensions, outermost first.</summary>
    public ImmutableArray<int> Shape { get; }

    /// <summary>The number of float32 elements: the product of the dimensions.</summary>
    public int Length { get; }

    /// <summary>True when both specs have the same name and the same dimensions.</summary>
    public bool SameAs(TensorSpec other) => Name == other.Name && Shape.SequenceEqual(other.Shape);

    /// <inheritdoc />
    public override string ToString() => $"{Name}[{string.Join("x", Shape)}]";
}
