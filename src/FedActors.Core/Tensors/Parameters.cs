using System.Numerics.Tensors;

namespace FedActors.Core.Tensors;

/// <summary>
/// A model's parameters: named float32 tensors stored back to back in one contiguous buffer,
/// so that aggregation is one SIMD pass and the wire format is the raw bytes of that buffer.
/// Instances are treated as immutable: whoever creates one hands over its buffer.
/// </summary>
public sealed class Parameters
{
    private readonly float[] _values;

    private Parameters(ParameterLayout layout, float[] values)
    {
        Layout = layout;
        _values = values;
    }

    /// <summary>The names, shapes and offsets of the tensors.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All values, tensor after tensor, in layout order.</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>The number of float32 values.</summary>
    public int Length => _values.Length;

    /// <summary>The values of the tensor at <paramref name="index"/> in the layout.</summary>
    public ReadOnlySpan<float> Tensor(int index) =>
        _values.AsSpan(Layout.OffsetOf(index), Layout.Tensors[index].Length);

    /// <summary>The values of the named tensor.</summary>
    /// <exception cref="KeyNotFoundException">The layout has no tensor of that name.</exception>
    public ReadOnlySpan<float> Tensor(string name)
    {
        var index = Layout.IndexOf(name);
        return index >= 0 ? Tensor(index) : throw new KeyNotFoundException($"no tensor named '{name}' in {Layout}");
    }

    /// <summary>
    /// Wraps <paramref name="values"/> without copying. The caller hands the array over and must
    /// not write to it afterwards.
    /// </summary>
    public static Parameters Wrap(ParameterLayout layout, float[] values)
    {
        if (values.Length != layout.TotalLength)
        {
            throw new ArgumentException($"the layout holds {layout.TotalLength} values but the buffer has {values.Length}", nameof(values));
        }

        return new Parameters(layout, values);
    }

    /// <summary>Copies <paramref name="values"/> into new parameters.</summary>
    public static Parameters Copy(ParameterLayout layout, ReadOnlySpan<float> values) => Wrap(layout, values.ToArray());

    /// <summary>Parameters of the given layout with every value zero.</summary>
    public static Parameters Zeros(ParameterLayout layout) => new(layout, new float[layout.TotalLength]);

    /// <summary>True when no value is NaN or infinite.</summary>
    public bool AllFinite()
    {
        // A NaN or an infinity makes the sum non-finite, so a finite sum proves every value finite
        // in one vectorised pass; only a non-finite sum (possibly mere overflow) needs the element scan.
        return float.IsFinite(TensorPrimitives.Sum(_values)) || AllFiniteSlow();
    }

    /// <summary>The Euclidean (L2) norm of all values together.</summary>
    public double L2Norm() => TensorPrimitives.Norm(_values);

    private bool AllFiniteSlow()
    {
        foreach (var v in _values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }
}
