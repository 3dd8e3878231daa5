using System.Collections.Immutable;
using System.Globalization;

namespace FedActors.Core.Privacy;

/// <summary>
/// The accountant a DP run carries from step to step: <see cref="RdpAccountant"/> or
/// <see cref="PldAccountant"/> behind one immutable value, with its state as named scalars for a
/// checkpoint, so that a resumed run reports the same ε as the uninterrupted one.
/// </summary>
/// <remarks>
/// A step is one Poisson-sampled Gaussian release at rate q with noise multiplier z (noise
/// standard deviation over L2 sensitivity). The RDP state is the RDP accumulated at each order;
/// the PLD state is the list of (q, z, steps) composed, runs of equal settings merged, from
/// which ε is recomputed on the finest grid of <see cref="PldAccountant.IntervalLadder"/> that
/// holds the composed loss.
/// </remarks>
public sealed class StepAccountant
{
    private readonly RdpAccountant? _rdp;
    private readonly ImmutableList<(double SamplingRate, double NoiseMultiplier, long Steps)> _pld;

    private StepAccountant(AccountantKind kind, RdpConversion conversion, RdpAccountant? rdp, ImmutableList<(double, double, long)> pld, long steps)
    {
        Kind = kind;
        Conversion = conversion;
        _rdp = rdp;
        _pld = pld;
        Steps = steps;
    }

    /// <summary>The accountant behind it.</summary>
    public AccountantKind Kind { get; }

    /// <summary>The RDP-to-(ε, δ) conversion (RDP only).</summary>
    public RdpConversion Conversion { get; }

    /// <summary>Steps composed so far.</summary>
    public long Steps { get; }

    /// <summary>No steps yet.</summary>
    public static StepAccountant Create(AccountantKind kind, RdpConversion conversion) =>
        new(kind, conversion, kind == AccountantKind.Rdp ? RdpAccountant.Empty : null, [], 0);

    /// <summary>This accountant after <paramref name="steps"/> more steps at rate q and noise multiplier z.</summary>
    /// <exception cref="ArgumentOutOfRangeException">q outside (0, 1], z not positive and finite, or steps &lt; 1.</exception>
    public StepAccountant Compose(double samplingRate, double noiseMultiplier, long steps = 1)
    {
        SampledGaussianRdp.Check(samplingRate, noiseMultiplier);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        if (Kind == AccountantKind.Rdp)
        {
            return new StepAccountant(Kind, Conversion, _rdp!.Compose(samplingRate, noiseMultiplier, steps), _pld, Steps + steps);
        }

        var pld = !_pld.IsEmpty && _pld[^1].SamplingRate == samplingRate && _pld[^1].NoiseMultiplier == noiseMultiplier
            ? _pld.SetItem(_pld.Count - 1, (samplingRate, noiseMultiplier, _pld[^1].Steps + steps))
            : _pld.Add((samplingRate, noiseMultiplier, steps));
        return new StepAccountant(Kind, Conversion, null, pld, Steps + steps);
    }

    /// <summary>The ε of the steps so far at <paramref name="delta"/> (0 before the first).</summary>
    /// <exception cref="ArgumentOutOfRangeException">δ outside (0, 1).</exception>
    /// <exception cref="InvalidOperationException">PLD: the loss does not fit even the coarsest grid.</exception>
    public double Epsilon(double delta)
    {
        if (Kind == AccountantKind.Rdp)
        {
            return _rdp!.Steps == 0 ? 0 : _rdp.GetPrivacySpent(delta, Conversion).Epsilon;
        }

        foreach (var interval in PldAccountant.IntervalLadder)
        {
            try
            {
                return _pld.Aggregate(PldAccountant.Create(interval), (a, s) => a.Compose(s.SamplingRate, s.NoiseMultiplier, s.Steps)).GetEpsilon(delta);
            }
            catch (InvalidOperationException) when (interval != PldAccountant.IntervalLadder[^1])
            {
                // Too many points on this grid: the next, coarser one still bounds ε from above.
            }
        }

        throw new InvalidOperationException("unreachable: the last interval's failure propagates");
    }

    /// <summary>The state as named scalars under <paramref name="prefix"/>.</summary>
    public ImmutableSortedDictionary<string, double> ToScalars(string prefix)
    {
        if (Kind == AccountantKind.Rdp)
        {
            return _rdp!.ToScalars(prefix + "rdp");
        }

        var builder = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        builder.Add(prefix + "pld.steps", Steps);
        for (var i = 0; i < _pld.Count; i++)
        {
            var key = prefix + "pld." + i.ToString("D4", CultureInfo.InvariantCulture);
            builder.Add(key + ".sampling-rate", _pld[i].SamplingRate);
            builder.Add(key + ".noise-multiplier", _pld[i].NoiseMultiplier);
            builder.Add(key + ".steps", _pld[i].Steps);
        }

        return builder.ToImmutable();
    }

    /// <summary>Reads back <see cref="ToScalars"/>'s output for an accountant of <paramref name="kind"/>; other keys are left alone.</summary>
    /// <exception cref="ArgumentException">The scalars hold no such accountant, or a broken one.</exception>
    public static StepAccountant FromScalars(AccountantKind kind, RdpConversion conversion, IReadOnlyDictionary<string, double> scalars, string prefix)
    {
        if (kind == AccountantKind.Rdp)
        {
            var rdp = RdpAccountant.FromScalars(scalars, prefix + "rdp");
            return new StepAccountant(kind, conversion, rdp, [], rdp.Steps);
        }

        if (!scalars.TryGetValue(prefix + "pld.steps", out var total))
        {
            throw new ArgumentException($"the checkpoint holds no PLD accountant under '{prefix}pld' (was the run accounted with another accountant?)", nameof(scalars));
        }

        var accountant = Create(kind, conversion);
        for (var i = 0; scalars.TryGetValue(prefix + "pld." + i.ToString("D4", CultureInfo.InvariantCulture) + ".steps", out var steps); i++)
        {
            var key = prefix + "pld." + i.ToString("D4", CultureInfo.InvariantCulture);
            accountant = accountant.Compose(scalars[key + ".sampling-rate"], scalars[key + ".noise-multiplier"], (long)steps);
        }

        return accountant.Steps == (long)total
            ? accountant
            : throw new ArgumentException($"the checkpoint's PLD accountant under '{prefix}pld' lists {accountant.Steps} steps but says {total}", nameof(scalars));
    }
}
