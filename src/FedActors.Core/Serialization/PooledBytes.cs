using System.Buffers;

namespace FedActors.Core.Serialization;

/// <summary>
/// Bytes in a buffer rented from <see cref="ArrayPool{T}.Shared"/>: <see cref="Dispose"/> gives
/// it back, once. Its owner disposes it when nothing reads the bytes any more (the bulk channel's
/// writer, once they are on the wire).
/// </summary>
public sealed class PooledBytes : IDisposable
{
    private byte[]? _array;

    private PooledBytes(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    /// <summary>How many of the buffer's bytes are this message's.</summary>
    public int Length { get; }

    /// <summary>The rented buffer, at least <see cref="Length"/> long.</summary>
    /// <exception cref="ObjectDisposedException">It was given back.</exception>
    public byte[] Array => _array ?? throw new ObjectDisposedException(nameof(PooledBytes));

    /// <summary>The bytes.</summary>
    public ReadOnlyMemory<byte> Memory => Array.AsMemory(0, Length);

    /// <summary>A buffer of at least <paramref name="length"/> bytes from the shared pool.</summary>
    public static PooledBytes Rent(int length) => new(ArrayPool<byte>.Shared.Rent(length), length);

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _array, null) is { } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
