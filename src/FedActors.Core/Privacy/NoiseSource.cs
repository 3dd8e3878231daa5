using System.Numerics;
using System.Security.Cryptography;

namespace FedActors.Core.Privacy;

/// <summary>
/// Where the random bits of privacy noise come from: <see cref="Secure"/> reads the operating
/// system's cryptographically secure generator (<see cref="RandomNumberGenerator"/>), the only
/// source that protects privacy; <see cref="SeededNonPrivate"/> is for reproducible tests and
/// protects nothing. Noise is never drawn from the run's seed (<c>SeedDerivation</c>): anyone
/// who knows the seed could subtract it.
/// </summary>
/// <remarks>Not thread-safe: give each thread its own source.</remarks>
public sealed class NoiseSource
{
    private readonly bool _secure;
    private readonly byte[] _buffer = new byte[4096];
    private int _next;
    private ulong _state;

    private NoiseSource(bool secure, ulong seed)
    {
        _secure = secure;
        _state = seed;
        _next = _buffer.Length;
    }

    /// <summary>True for <see cref="Secure"/>; false for the seeded source, whose noise anyone with the seed can reproduce.</summary>
    public bool IsPrivate => _secure;

    /// <summary>Bits from <see cref="RandomNumberGenerator"/>, read 4 KiB at a time.</summary>
    public static NoiseSource Secure() => new(secure: true, 0);

    /// <summary>
    /// NON-PRIVATE: bits from SplitMix64 (Steele, Lea and Flood, "Fast Splittable Pseudorandom
    /// Number Generators", OOPSLA 2014) seeded with <paramref name="seed"/>, the same on every
    /// platform and .NET version. For tests that need the same noise twice; noise from it gives
    /// no differential privacy at all.
    /// </summary>
    public static NoiseSource SeededNonPrivate(ulong seed) => new(secure: false, seed);

    /// <summary>64 uniform bits.</summary>
    internal ulong NextUInt64()
    {
        if (!_secure)
        {
            // SplitMix64: a Weyl sequence through a 64-bit finaliser.
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        if (_next + sizeof(ulong) > _buffer.Length)
        {
            RandomNumberGenerator.Fill(_buffer);
            _next = 0;
        }

        var value = BitConverter.ToUInt64(_buffer, _next);
        _next += sizeof(ulong);
        return value;
    }

    /// <summary>Uniform in [0, n), exactly: masked draws, the ones not below n rejected.</summary>
    internal ulong UniformBelow(ulong n)
    {
        ArgumentOutOfRangeException.ThrowIfZero(n);
        var mask = ulong.MaxValue >> BitOperations.LeadingZeroCount(n - 1 | 1);
        while (true)
        {
            var r = NextUInt64() & mask;
            if (r < n)
            {
                return r;
            }
        }
    }

    /// <summary>Uniform in [0, n) for n &gt; 0 of any size, exactly (as <see cref="UniformBelow(ulong)"/>, 64 bits at a time).</summary>
    internal BigInteger UniformBelow(BigInteger n)
    {
        if (n.Sign <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(n), n, "the bound must be positive");
        }

        if (n <= ulong.MaxValue)
        {
            return UniformBelow((ulong)n);
        }

        var bits = (int)(n - 1).GetBitLength();
        var words = (bits + 63) / 64;
        var topMask = ulong.MaxValue >> ((64 * words) - bits);
        while (true)
        {
            var r = BigInteger.Zero;
            for (var i = 0; i < words; i++)
            {
                var word = NextUInt64();
                r = (r << 64) | (i == 0 ? word & topMask : word);
            }

            if (r < n)
            {
                return r;
            }
        }
    }
}
