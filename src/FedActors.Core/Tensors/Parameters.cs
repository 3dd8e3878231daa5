using System.Numerics.Tensors;

namespace FedActors.Core.Tensors;

/// <summary>
/// A model's parameters: named float32 tensors stored back to back in one contiguous buffer,
/// so that aggregation is one SIMD pass and the wire format is the raw bytes of that buffer.
/// Instances are treated as immutable: whoever creates one hands over its buffer. A buffer rented
/// from a <see cref="ParameterBufferPool"/> goes back through <see cref="Release"/>, under the
/// pool's ownership rule; reading released parameters throws instead of seeing reused values.
/// </summary>
public sealed class Parameters
{
    private float[]? _values;
    private ParameterBufferPool? _pool;

    private Parameters(ParameterLayout layout, float[] values, ParameterBufferPool? pool = null)
    {
        Layout = layout;
        _values = values;
        _pool = pool;
    }

    /// <summary>The names, shapes and offsets of the tensors.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All values, tensor after tensor, in layout order.</summary>
    public ReadOnlySpan<float> Values => Buffer;

    /// <summary>The number of float32 values.</summary>
    public int Length => Layout.TotalLength;

    /// <summary>True while the values live in a pooled buffer that <see cref="Release"/> gives back.</summary>
    public bool IsPooled => Volatile.Read(ref _pool) is not null;

    /// <summary>The buffer itself, for Core's vectorised math that needs the array (read only, like <see cref="Values"/>).</summary>
    internal float[] Buffer => _values ?? throw new ObjectDisposedException(nameof(Parameters), "these parameters were released to their buffer pool: whoever still reads them broke the ownership rule");

    /// <summary>The values of the tensor at <paramref name="index"/> in the layout.</summary>
    public ReadOnlySpan<float> Tensor(int index) =>
        Buffer.AsSpan(Layout.OffsetOf(index), Layout.Tensors[index].Length);

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

    /// <summary>
    /// Wraps a buffer rented from <paramref name="pool"/> (whose every value the caller has written);
    /// <see cref="Release"/> gives it back.
    /// </summary>
    public static Parameters WrapPooled(ParameterLayout layout, float[] values, ParameterBufferPool pool)
    {
        var wrapped = Wrap(layout, values);
        wrapped._pool = pool;
        return wrapped;
    }

    /// <summary>A copy of <paramref name="values"/> in a buffer rented from <paramref name="pool"/>.</summary>
    public static Parameters CopyPooled(ParameterLayout layout, ReadOnlySpan<float> values, ParameterBufferPool pool)
    {
        var buffer = pool.Rent(layout.TotalLength);
        values.CopyTo(buffer);
        return WrapPooled(layout, buffer, pool);
    }

    /// <summary>
    /// Gives a pooled buffer back to its pool (nothing happens for other parameters, or the second
    /// time). Only the owner calls it, when nobody can read these parameters any more; afterwards
    /// reading them throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _pool, null) is { } pool && Interlocked.Exchange(ref _values, null) is { } buffer)
        {
            pool.Return(buffer);
        }
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
        return float.IsFinite(TensorPrimitives.Sum(Values)) || AllFiniteSlow();
    }

    /// <summary>The Euclidean (L2) norm of all values together.</summary>
    public double L2Norm() => TensorPrimitives.Norm(Values);

    private bool AllFiniteSlow()
    {
        foreach (var v in Buffer)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }
}
