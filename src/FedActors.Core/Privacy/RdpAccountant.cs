using System.Collections.Immutable;
using System.Globalization;

namespace FedActors.Core.Privacy;

/// <summary>
/// A Rényi-DP accountant for the sampled Gaussian mechanism (Mironov 2017, arXiv:1702.07476;
/// Mironov, Talwar and Zhang 2019, arXiv:1908.10530): an immutable value holding the RDP
/// accumulated at each order, so that a checkpoint can hold it (<see cref="ToScalars"/>).
/// </summary>
/// <remarks>
/// RDP composes by addition: T steps of q and σ give <c>ε_T(α) = T·ε_1(α)</c> at every order α
/// (<see cref="SampledGaussianRdp"/>), steps of other settings add their own. The (ε, δ)
/// guarantee is <c>min over α of convert(ε_T(α), α, δ)</c> (<see cref="RdpConversion"/>).
/// The default orders are Opacus's: 1.1 to 10.9 in steps of 0.1 (each 1 + x/10 for x = 1..99)
/// and the integers 12 to 63. The guarantee is for add-or-remove-one neighbouring datasets,
/// Poisson sampling of rate q, and a noise multiplier σ = noise standard deviation / L2 clip.
/// </remarks>
public sealed class RdpAccountant
{
    private const string OrderKey = "order-";
    private const string StepsKey = "steps";

    private RdpAccountant(ImmutableArray<double> orders, ImmutableArray<double> rdp, long steps)
    {
        Orders = orders;
        Rdp = rdp;
        Steps = steps;
    }

    /// <summary>Opacus's orders: 1 + x/10 for x = 1..99, then 12..63 (151 orders).</summary>
    public static ImmutableArray<double> DefaultOrders { get; } =
        [.. Enumerable.Range(1, 99).Select(x => 1 + (x / 10.0)), .. Enumerable.Range(12, 52).Select(a => (double)a)];

    /// <summary>No steps yet, over <see cref="DefaultOrders"/>.</summary>
    public static RdpAccountant Empty { get; } = new(DefaultOrders, [.. DefaultOrders.Select(_ => 0.0)], 0);

    /// <summary>The orders α, ascending.</summary>
    public ImmutableArray<double> Orders { get; }

    /// <summary>The RDP accumulated so far at each of <see cref="Orders"/>.</summary>
    public ImmutableArray<double> Rdp { get; }

    /// <summary>How many steps have been composed.</summary>
    public long Steps { get; }

    /// <summary>No steps yet, over the given orders.</summary>
    /// <exception cref="ArgumentException">No orders, an order not finite and above 1, or one twice.</exception>
    public static RdpAccountant OverOrders(IEnumerable<double> orders)
    {
        var sorted = orders.Order().ToImmutableArray();
        if (sorted.IsEmpty || sorted.Any(a => !(a > 1.0) || double.IsInfinity(a)) || sorted.Distinct().Count() != sorted.Length)
        {
            throw new ArgumentException("RDP orders must be finite, above 1, distinct, and at least one", nameof(orders));
        }

        return new RdpAccountant(sorted, [.. sorted.Select(_ => 0.0)], 0);
    }

    /// <summary>This accountant after <paramref name="steps"/> more steps of the sampled Gaussian mechanism.</summary>
    /// <param name="samplingRate">q, in (0, 1].</param>
    /// <param name="noiseMultiplier">σ &gt; 0.</param>
    /// <param name="steps">At least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its range.</exception>
    public RdpAccountant Compose(double samplingRate, double noiseMultiplier, long steps = 1)
    {
        SampledGaussianRdp.Check(samplingRate, noiseMultiplier);
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one step");
        }

        var rdp = Rdp.Select((r, i) => r + (steps * SampledGaussianRdp.Compute(samplingRate, noiseMultiplier, Orders[i]))).ToImmutableArray();
        return new RdpAccountant(Orders, rdp, Steps + steps);
    }

    /// <summary>The (ε, δ) guarantee so far: the smallest ε over the orders.</summary>
    /// <param name="delta">δ in (0, 1).</param>
    /// <param name="conversion">The RDP-to-(ε, δ) conversion (improved by default).</param>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1).</exception>
    public PrivacySpent GetPrivacySpent(double delta, RdpConversion conversion = RdpConversion.Improved)
    {
        CheckDelta(delta);
        var best = new PrivacySpent(double.PositiveInfinity, delta, Orders[0], conversion);
        for (var i = 0; i < Orders.Length; i++)
        {
            var epsilon = Convert(Rdp[i], Orders[i], delta, conversion);
            if (epsilon < best.Epsilon)
            {
                best = best with { Epsilon = epsilon, Order = Orders[i] };
            }
        }

        return best;
    }

    /// <summary>The smallest ε any number of steps with any noise could show: every RDP at 0.</summary>
    public double EpsilonFloor(double delta, RdpConversion conversion = RdpConversion.Improved)
    {
        CheckDelta(delta);
        return Orders.Min(a => Convert(0.0, a, delta, conversion));
    }

    /// <summary>The state as named scalars for a checkpoint: <c>{prefix}.order-{α}</c> = RDP at α, and <c>{prefix}.steps</c>.</summary>
    public ImmutableSortedDictionary<string, double> ToScalars(string prefix = "rdp")
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < Orders.Length; i++)
        {
            builder.Add($"{prefix}.{OrderKey}{Orders[i].ToString("R", CultureInfo.InvariantCulture)}", Rdp[i]);
        }

        builder.Add($"{prefix}.{StepsKey}", Steps);
        return builder.ToImmutable();
    }

    /// <summary>Reads back <see cref="ToScalars"/>'s output; other keys are left alone.</summary>
    /// <exception cref="ArgumentException">No orders under the prefix, a key that is not an order, a negative or NaN value, or no step count.</exception>
    public static RdpAccountant FromScalars(IReadOnlyDictionary<string, double> scalars, string prefix = "rdp")
    {
        var orderPrefix = $"{prefix}.{OrderKey}";
        var entries = new List<(double Order, double Rdp)>();
        foreach (var (key, value) in scalars.Where(kv => kv.Key.StartsWith(orderPrefix, StringComparison.Ordinal)))
        {
            if (!double.TryParse(key.AsSpan(orderPrefix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out var order) || !(value >= 0))
            {
                throw new ArgumentException($"checkpoint scalar '{key}' = {value.ToString("R", CultureInfo.InvariantCulture)} is not an RDP order and its non-negative RDP", nameof(scalars));
            }

            entries.Add((order, value));
        }

        if (!scalars.TryGetValue($"{prefix}.{StepsKey}", out var steps) || entries.Count == 0 || !(steps >= 0) || steps != Math.Floor(steps))
        {
            throw new ArgumentException($"the checkpoint holds no RDP accountant under '{prefix}' (orders '{orderPrefix}*' and a whole '{prefix}.{StepsKey}')", nameof(scalars));
        }

        var fresh = OverOrders(entries.Select(e => e.Order));
        var rdp = fresh.Orders.Select(a => entries.First(e => e.Order == a).Rdp).ToImmutableArray();
        return new RdpAccountant(fresh.Orders, rdp, (long)steps);
    }

    /// <summary>One order's (ε, δ) by the chosen conversion, at least 0.</summary>
    internal static double Convert(double rdp, double order, double delta, RdpConversion conversion)
    {
        var epsilon = conversion switch
        {
            RdpConversion.Classic => rdp - (Math.Log(delta) / (order - 1)),
            RdpConversion.Improved => rdp + LogMath.Log1P(-1 / order) - ((Math.Log(delta) + Math.Log(order)) / (order - 1)),
            _ => throw new ArgumentOutOfRangeException(nameof(conversion), conversion, "unknown conversion"),
        };
        return Math.Max(0.0, epsilon);
    }

    private static void CheckDelta(double delta)
    {
        if (!(delta > 0.0 && delta < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "delta must be in (0, 1)");
        }
    }
}
