using System.Numerics.Tensors;

namespace FedActors.Core.Strategies;

/// <summary>
/// The server-side optimiser rules of FedAvgM (Hsu, Qi and Brown 2019, arXiv:1909.06335) and of
/// FedAdagrad, FedAdam and FedYogi (Reddi et al. 2021, arXiv:2003.00295), as pure element-wise
/// functions over contiguous buffers: each reads its inputs and writes only its destination (which
/// may be its first argument, never another), keeps no state, and allocates at most its scratch
/// buffers. Every pass goes through <see cref="TensorPrimitives"/>; all spans have one length.
/// </summary>
public static class ServerOptimizers
{
    /// <summary>
    /// Heavy-ball momentum as Hsu et al. write it (and PyTorch's SGD, dampening 0):
    /// <c>v' = β·v + g</c>, where g is the pseudo-gradient.
    /// </summary>
    public static void Momentum(ReadOnlySpan<float> velocity, ReadOnlySpan<float> pseudoGradient, float momentum, Span<float> destination)
    {
        RequireSameLength(velocity, pseudoGradient, destination);
        TensorPrimitives.MultiplyAdd(velocity, momentum, pseudoGradient, destination);
    }

    /// <summary>A plain gradient step, <c>w' = w − η·g</c>.</summary>
    public static void GradientStep(ReadOnlySpan<float> weights, ReadOnlySpan<float> direction, float learningRate, Span<float> destination)
    {
        RequireSameLength(weights, direction, destination);
        TensorPrimitives.MultiplyAdd(direction, -learningRate, weights, destination);
    }

    /// <summary>The first moment, an exponential average: <c>m' = β1·m + (1 − β1)·Δ</c>.</summary>
    public static void FirstMoment(ReadOnlySpan<float> m, ReadOnlySpan<float> delta, float beta1, Span<float> destination)
    {
        RequireSameLength(m, delta, destination);
        // destination may alias m: scale m first, then add (1 − β1)·Δ onto it.
        TensorPrimitives.Multiply(m, beta1, destination);
        TensorPrimitives.MultiplyAdd(delta, 1f - beta1, destination, destination);
    }

    /// <summary>Adagrad's second moment, a running sum: <c>v' = v + Δ²</c>.</summary>
    /// <param name="v">The previous second moment.</param>
    /// <param name="deltaSquared">Δ², element by element.</param>
    /// <param name="destination">Where v' goes.</param>
    public static void AdagradSecondMoment(ReadOnlySpan<float> v, ReadOnlySpan<float> deltaSquared, Span<float> destination)
    {
        RequireSameLength(v, deltaSquared, destination);
        TensorPrimitives.Add(v, deltaSquared, destination);
    }

    /// <summary>Adam's second moment, an exponential average: <c>v' = β2·v + (1 − β2)·Δ²</c>.</summary>
    /// <param name="v">The previous second moment.</param>
    /// <param name="deltaSquared">Δ², element by element.</param>
    /// <param name="beta2">β2 in [0, 1).</param>
    /// <param name="destination">Where v' goes.</param>
    public static void AdamSecondMoment(ReadOnlySpan<float> v, ReadOnlySpan<float> deltaSquared, float beta2, Span<float> destination) =>
        FirstMoment(v, deltaSquared, beta2, destination);

    /// <summary>
    /// Yogi's second moment (Zaheer et al. 2018), an additive update that moves v towards Δ² by
    /// at most <c>(1 − β2)·Δ²</c>: <c>v' = v − (1 − β2)·Δ²·sign(v − Δ²)</c>, with sign(0) = 0.
    /// </summary>
    /// <param name="v">The previous second moment.</param>
    /// <param name="deltaSquared">Δ², element by element.</param>
    /// <param name="beta2">β2 in [0, 1).</param>
    /// <param name="destination">Where v' goes.</param>
    public static void YogiSecondMoment(ReadOnlySpan<float> v, ReadOnlySpan<float> deltaSquared, float beta2, Span<float> destination)
    {
        RequireSameLength(v, deltaSquared, destination);
        var signs = new int[v.Length];
        var signed = new float[v.Length];
        TensorPrimitives.Subtract(v, deltaSquared, signed);
        TensorPrimitives.Sign(signed, signs);
        TensorPrimitives.ConvertTruncating<int, float>(signs, signed);
        TensorPrimitives.Multiply(signed, deltaSquared, signed);
        TensorPrimitives.MultiplyAdd(signed, -(1f - beta2), v, destination);
    }

    /// <summary>
    /// The adaptive step of Reddi et al.'s Algorithm 2, with optional bias correction:
    /// <c>x' = x + η·a·m / (sqrt(b·v) + τ)</c>, where a = 1/(1 − β1^t) and b = 1/(1 − β2^t) when
    /// bias-correcting (<c>m̂ = a·m</c>, <c>v̂ = b·v</c>), else a = b = 1.
    /// </summary>
    /// <param name="x">The current model.</param>
    /// <param name="m">The first moment.</param>
    /// <param name="v">The second moment (non-negative).</param>
    /// <param name="learningRate">η times the first moment's correction, η·a.</param>
    /// <param name="secondMomentScale">The second moment's correction b (1 for none).</param>
    /// <param name="tau">τ &gt; 0, the adaptivity.</param>
    /// <param name="destination">Where x' goes.</param>
    public static void AdaptiveStep(ReadOnlySpan<float> x, ReadOnlySpan<float> m, ReadOnlySpan<float> v, float learningRate, float secondMomentScale, float tau, Span<float> destination)
    {
        RequireSameLength(x, m, destination);
        RequireSameLength(x, v, destination);
        var step = new float[x.Length];
        TensorPrimitives.Multiply(v, secondMomentScale, step);
        TensorPrimitives.Sqrt<float>(step, step);
        TensorPrimitives.Add(step, tau, step);
        TensorPrimitives.Divide(m, step, step);
        TensorPrimitives.MultiplyAdd(step, learningRate, x, destination);
    }

    private static void RequireSameLength(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> destination)
    {
        if (a.Length != b.Length || a.Length != destination.Length)
        {
            throw new ArgumentException($"buffers of {a.Length}, {b.Length} and {destination.Length} values cannot be combined element by element");
        }
    }
}
