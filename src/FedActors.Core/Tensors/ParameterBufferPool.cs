namespace FedActors.Core.Tensors;

/// <summary>
/// Model-sized float32 buffers, reused instead of allocated: each round of the FedAvg CNN used to
/// put about eleven 6.6 MB arrays (the updates and the new global model) on the large object
/// heap, whose fragmented space the GC kept committed, so RSS crept up round after round. A
/// buffer is rented by whoever fills it (a trainer copying its model out, an aggregation writing
/// the new global model), travels inside <see cref="Parameters"/>, and comes back through
/// <see cref="Parameters.Release"/> from the one owner that knows nobody reads it any more.
/// </summary>
/// <remarks>
/// The ownership rule: an update's buffer belongs to the coordinator from the moment its reply is
/// taken, and is released once it is folded into the round's aggregate (streaming) or the round is
/// aggregated or failed (buffered); a strategy that keeps an update, or part of one, after
/// <see cref="Strategies.IStrategy.AggregateFit"/> returns keeps a copy. The global model's buffer
/// is released when the model is replaced and no fit, evaluation or checkpoint can still read it.
/// A buffer never released is simply collected: forgetting costs an allocation, never a wrong
/// value. Buffers are kept per exact length (a layout's total), at most
/// <see cref="MaxBuffersPerLength"/> of each, so a pool never holds more than that many models.
/// </remarks>
public sealed class ParameterBufferPool
{
    private readonly object _gate = new();
    private readonly Dictionary<int, Stack<float[]>> _free = [];

    /// <summary>Creates a pool that keeps at most <paramref name="maxBuffersPerLength"/> free buffers of each length.</summary>
    public ParameterBufferPool(int maxBuffersPerLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBuffersPerLength);
        MaxBuffersPerLength = maxBuffersPerLength;
    }

    /// <summary>
    /// The process's pool: 64 free buffers of a length (a round of 10 CNN updates with two
    /// models in flight needs about 13; a round of 100 small updates, about 103, the rest allocated).
    /// </summary>
    public static ParameterBufferPool Shared { get; } = new(maxBuffersPerLength: 64);

    /// <summary>The most free buffers kept of one length.</summary>
    public int MaxBuffersPerLength { get; }

    /// <summary>Free buffers held now, all lengths together.</summary>
    public int FreeCount
    {
        get
        {
            lock (_gate)
            {
                return _free.Values.Sum(s => s.Count);
            }
        }
    }

    /// <summary>A buffer of exactly <paramref name="length"/> values, whose contents are arbitrary: the renter overwrites every value.</summary>
    public float[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        lock (_gate)
        {
            if (_free.TryGetValue(length, out var stack) && stack.TryPop(out var buffer))
            {
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Takes a buffer back; the caller must not touch it afterwards. Beyond the per-length limit it is left to the GC.</summary>
    public void Return(float[] buffer)
    {
        lock (_gate)
        {
            if (!_free.TryGetValue(buffer.Length, out var stack))
            {
                stack = new Stack<float[]>();
                _free.Add(buffer.Length, stack);
            }

            if (stack.Count < MaxBuffersPerLength)
            {
                stack.Push(buffer);
            }
        }
    }
}
