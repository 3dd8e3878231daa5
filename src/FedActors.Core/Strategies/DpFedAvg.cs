using System.Collections.Immutable;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Strategies;

/// <summary>
/// DP-FedAvg, central client-level differential privacy wrapped around a sum-style strategy:
/// McMahan, Ramage, Talwar and Zhang, "Learning Differentially Private Recurrent Language
/// Models", ICLR 2018, arXiv:1710.06963; with optional adaptive clipping (Andrew, Thakkar,
/// McMahan and Ramaswamy, NeurIPS 2021, arXiv:1905.03871; <see cref="AdaptiveClipping"/>).
/// </summary>
/// <remarks>
/// <para>
/// Each round, for the clients S whose valid update arrived (Poisson-sampled at rate q from the
/// N clients registered when the attempt started), the server computes
/// <c>Δ_k = w_k − w(t)</c>, clips it, <c>Δ̃_k = Δ_k·min(1, C/‖Δ_k‖₂)</c>, and releases
/// <c>Δ̄ = (Σ_{k∈S} Δ̃_k + N(0, (z·C)²·I)) / (q·N)</c>. The inner strategy then takes Δ̄ as if it
/// were the round's mean update: it is handed the one synthetic update <c>w(t) + Δ̄</c>, which
/// FedAvg and FedProx return as the next model and FedAvgM, FedAdagrad, FedAdam and FedYogi turn
/// into their server step. Whatever it does with Δ̄ is post-processing and costs no privacy.
/// </para>
/// <para>
/// Why each piece. Weights are uniform, whatever the clients' sample counts: with weights n_k/n,
/// one client's share of the weighted sum is not bounded by C (a client with many samples moves
/// it further), so the noise calibrated to C would not cover it. The denominator is the EXPECTED
/// number of clients q·N, fixed before anyone answers: dividing by |S| would make the
/// sensitivity depend on who dropped out. So the released sum has L2 sensitivity C when one
/// client's whole data is added or removed, and the noise has standard deviation z·C; the
/// accountant composes one Poisson-sampled Gaussian step of (q, z) per attempt (each attempt
/// samples anew; a failed one is counted too). With adaptive clipping the sum gets
/// z_Δ·C and the unclipped count the rest of the same z (<see cref="AdaptiveClipping"/>).
/// </para>
/// <para>
/// Exactness. The norm and the deltas are computed in double, and the clip aims a hair below C
/// (by the worst-case relative error of the norm's summation, (d + 4)·2^−52 for d values), so
/// that the vector added has norm at most C despite rounding. Each clipped delta is then
/// truncated towards zero onto the noise's power-of-two grid (<see cref="NoiseGrid"/>, 2^−28 of
/// the noise scale) and summed as integers: truncation never raises a norm, the sum is exact and
/// independent of arrival order (so the streaming path never buffers updates and equals the
/// buffered one bit for bit), and the noise (<see cref="GaussianMechanism.Randomise"/>: the
/// discrete Gaussian, Mironov 2012 safe) is added to values already on its grid. The grid
/// bounds a round's size: the integer sum must stay below 2^52 steps, about 2^23·z_Δ clients
/// at full norm (8 million at z = 1); a larger round fails with a message, never silently.
/// </para>
/// <para>
/// Assumptions. N, the number of registered clients, is treated as public (as in the paper):
/// it sets the denominator. The server is trusted with the raw updates; only what it releases
/// is protected.
/// </para>
/// <para>
/// Noise and sampling come from the operating system's CSPRNG (<see cref="NoiseSource.Secure"/>);
/// in the seeded-non-private mode from <see cref="StrategyContext.Seed"/>, which metrics.json
/// publishes, so that mode protects nothing and its ε is reported under
/// <see cref="UnguaranteedEpsilonMetric"/>, never as a guarantee.
/// </para>
/// <para>
/// Only sum-style inner strategies are allowed (<see cref="WhyNotAround"/>): a robust rule
/// (Krum, Bulyan, the median, the trimmed mean) returns one client's update or order statistics
/// whose sensitivity the noise on a sum does not bound, and SCAFFOLD, FedNova, FedDyn and
/// FedDual send extras (control variates, a_i, dual or client state) to the server unclipped
/// and unnoised. The round's metrics (<c>dp.*</c>) are all functions of the released values:
/// ε after the steps so far at δ, the steps, C, the noise's standard deviation on the sum, q·N,
/// and with adaptive clipping the noised unclipped share b̄ and the next C. The accountant and C
/// are checkpointed state; the accountant is also kept between checkpoints
/// (<see cref="IAccountedStrategy"/>), so that a resumed run counts the attempts a stop or a kill lost.
/// </para>
/// </remarks>
public sealed class DpFedAvg : IAccountedStrategy
{
    /// <summary>The prefix of this wrapper's checkpointed scalars.</summary>
    public const string StatePrefix = "dp-fedavg.";

    /// <summary>ε after the steps so far, at the configured δ: a guarantee (secure noise only).</summary>
    public const string EpsilonMetric = "dp.epsilon";

    /// <summary>The same number in the seeded-non-private mode, where it guarantees nothing.</summary>
    public const string UnguaranteedEpsilonMetric = "dp.epsilon.no-guarantee";

    /// <summary>The steps the accountant has composed (attempts, retries included).</summary>
    public const string StepsMetric = "dp.steps";

    /// <summary>The clip norm C used in the round.</summary>
    public const string ClipMetric = "dp.clip";

    /// <summary>The noise's standard deviation on the sum of clipped updates (z_Δ·C, rounded up to the noise grid).</summary>
    public const string NoiseStddevMetric = "dp.noise-stddev";

    /// <summary>q·N, the round's fixed denominator.</summary>
    public const string ExpectedClientsMetric = "dp.expected-clients";

    /// <summary>Adaptive clipping: the noised share b̄ of updates that were not clipped.</summary>
    public const string UnclippedShareMetric = "dp.unclipped-share";

    /// <summary>Adaptive clipping: C for the next round.</summary>
    public const string NextClipMetric = "dp.next-clip";

    private const string ClipState = StatePrefix + "clip";

    // The synthetic update the inner strategy aggregates stands for no client.
    private static readonly ClientId NoisedMean = new("dp-fedavg:noised-mean");

    private readonly IStrategy _inner;
    private StepAccountant _accountant;
    private double _epsilon;
    private double _clip;
    private (RoundNumber Round, int Attempt)? _counted;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">A sum-style strategy: fedavg, fedprox, fedavgm, fedadagrad, fedadam or fedyogi.</param>
    /// <param name="settings">The checked settings (<see cref="CentralDpSettings.Read"/>).</param>
    /// <exception cref="ArgumentException">The inner strategy is not one DP-FedAvg can wrap (<see cref="WhyNotAround"/>).</exception>
    public DpFedAvg(IStrategy inner, CentralDpSettings settings)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(settings);
        if (WhyNotAround(inner) is { } why)
        {
            throw new ArgumentException($"DP-FedAvg cannot wrap {inner.Name}: {why}", nameof(inner));
        }

        _inner = inner;
        Settings = settings;
        _accountant = StepAccountant.Create(settings.Accountant, settings.Conversion);
        _clip = settings.Clip;
    }

    /// <summary>The settings.</summary>
    public CentralDpSettings Settings { get; }

    /// <summary>C for the next round.</summary>
    public double Clip => _clip;

    /// <summary>The steps composed so far.</summary>
    public StepAccountant Accountant => _accountant;

    /// <summary>The metric ε is reported under: <see cref="EpsilonMetric"/> only with secure noise.</summary>
    public string EpsilonMetricName => Settings.SecureNoise ? EpsilonMetric : UnguaranteedEpsilonMetric;

    /// <inheritdoc />
    public string Name => $"dp-fedavg({_inner.Name})";

    /// <summary>Why DP-FedAvg cannot wrap <paramref name="inner"/>, or null when it can.</summary>
    public static string? WhyNotAround(IStrategy inner) => inner switch
    {
        FedAvg or FedProx or FedAvgM or FedOpt => null,
        Krum or Bulyan or FedMedian or TrimmedMean =>
            "a robust rule returns one client's update or per-coordinate order statistics, whose change when one client is added or removed " +
            "is not bounded by the clip: Gaussian noise calibrated to a sum of clipped updates does not cover it",
        Scaffold or FedNova or FedDyn or FedDual =>
            "its extras (control variates, normalising weights a_i, or dual and client state) reach the server unclipped and unnoised, outside any guarantee",
        NormBounding => "it clips already; DP-FedAvg clips each update itself to 'fedactors.privacy.central.clip'",
        _ => "DP-FedAvg only wraps the sum-style strategies fedavg, fedprox, fedavgm, fedadagrad, fedadam and fedyogi",
    };

    /// <inheritdoc />
    public FitPlan ConfigureFit(StrategyContext context, Parameters global, IReadOnlyList<ClientId> sampled, FitConfig baseConfig) =>
        _inner.ConfigureFit(context, global, sampled, baseConfig);

    /// <inheritdoc />
    /// <remarks>
    /// Counts the attempt as one sampled step (every attempt draws a new sample, so a retry is
    /// another step), unless that step would take ε above the budget: then the run ends here.
    /// </remarks>
    public string? BeforeAttempt(StrategyContext context)
    {
        if (_counted == (context.Round, context.Attempt))
        {
            return null;
        }

        UpdateNoiseMultiplier(context);
        var next = _accountant.Compose(Settings.SamplingRate, Settings.NoiseMultiplier);
        var epsilon = next.Epsilon(Settings.Delta);
        if (Settings.EpsilonBudget is { } budget && epsilon > budget)
        {
            var attempt = context.Attempt > 1 ? FormattableString.Invariant($" attempt {context.Attempt}") : string.Empty;
            return FormattableString.Invariant($"privacy budget reached: round {context.Round.Value}{attempt} would take epsilon from ") +
                FormattableString.Invariant($"{_epsilon:0.####} to {epsilon:0.####} at delta {Settings.Delta}, above 'fedactors.privacy.epsilon-budget' {budget}");
        }

        (_accountant, _epsilon, _counted) = (next, epsilon, (context.Round, context.Attempt));
        return null;
    }

    /// <inheritdoc />
    /// <remarks>Always streams: each update is clipped and folded into an exact integer sum as it arrives.</remarks>
    public IUpdateAccumulator StartAccumulating(StrategyContext context, Parameters global)
    {
        // A caller that never asked BeforeAttempt still gets the attempt counted.
        BeforeAttempt(context);
        return new NoisingAccumulator(this, context, global, _clip, UpdateNoiseMultiplier(context));
    }

    /// <inheritdoc />
    public AggregationResult AggregateFit(StrategyContext context, Parameters global, IReadOnlyList<ClientUpdate> updates)
    {
        var accumulator = StartAccumulating(context, global);
        foreach (var update in updates)
        {
            accumulator.Add(update);
        }

        return accumulator.Complete();
    }

    /// <inheritdoc />
    public Parameters ConfigureEvaluate(StrategyContext context, Parameters global) => _inner.ConfigureEvaluate(context, global);

    /// <inheritdoc />
    public EvaluationSummary AggregateEvaluate(StrategyContext context, IReadOnlyList<ClientEvaluation> results) =>
        _inner.AggregateEvaluate(context, results);

    /// <inheritdoc />
    /// <remarks>The inner strategy's state, plus C and the accountant under <see cref="StatePrefix"/>.</remarks>
    public StrategyState ExportState()
    {
        var inner = _inner.ExportState();
        return inner with { Scalars = inner.Scalars.SetItems(_accountant.ToScalars(StatePrefix)).SetItem(ClipState, _clip) };
    }

    /// <inheritdoc />
    public void ImportState(StrategyState state)
    {
        if (state.IsEmpty)
        {
            _inner.ImportState(state);
            (_accountant, _epsilon, _clip, _counted) = (StepAccountant.Create(Settings.Accountant, Settings.Conversion), 0, Settings.Clip, null);
            return;
        }

        if (!state.Scalars.TryGetValue(ClipState, out var clip) || !(clip > 0) || !double.IsFinite(clip))
        {
            throw new ArgumentException($"strategy {Name} keeps its clip norm in '{ClipState}', but the checkpoint holds {state.Describe()}", nameof(state));
        }

        var accountant = StepAccountant.FromScalars(Settings.Accountant, Settings.Conversion, state.Scalars, StatePrefix);
        var innerScalars = state.Scalars.RemoveRange(state.Scalars.Keys.Where(k => k.StartsWith(StatePrefix, StringComparison.Ordinal)));
        _inner.ImportState(state with { Scalars = innerScalars });
        (_accountant, _epsilon, _clip, _counted) = (accountant, accountant.Epsilon(Settings.Delta), clip, null);
    }

    /// <inheritdoc />
    /// <remarks>The accountant under <see cref="StatePrefix"/>, as <see cref="ExportState"/> writes it.</remarks>
    public ImmutableSortedDictionary<string, double> ExportSpent() => _accountant.ToScalars(StatePrefix);

    /// <inheritdoc />
    public void ImportSpent(IReadOnlyDictionary<string, double> spent)
    {
        var accountant = StepAccountant.FromScalars(Settings.Accountant, Settings.Conversion, spent, StatePrefix);
        if (accountant.Steps >= _accountant.Steps)
        {
            (_accountant, _epsilon, _counted) = (accountant, accountant.Epsilon(Settings.Delta), null);
        }
    }

    /// <summary>
    /// The delta <c>w_k − w(t)</c> in double, scaled so that its norm is at most C despite
    /// rounding (see the remarks), into <paramref name="destination"/>; true when the update was
    /// within C (b_k = 1: not clipped).
    /// </summary>
    internal static bool ClipDelta(ReadOnlySpan<float> global, ReadOnlySpan<float> updated, double clip, Span<double> destination)
    {
        var squares = 0.0;
        for (var i = 0; i < destination.Length; i++)
        {
            var d = (double)updated[i] - global[i];
            destination[i] = d;
            squares += d * d;
        }

        var norm = Math.Sqrt(squares);
        var target = clip * (1 - ((destination.Length + 4) * Math.ScaleB(1.0, -52)));
        if (norm > target)
        {
            var scale = target / norm;
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] *= scale;
            }
        }

        return norm <= clip;
    }

    // z_Δ for this attempt: z itself with a fixed clip; with adaptive clipping, what the count's noise leaves.
    private double UpdateNoiseMultiplier(StrategyContext context) => Settings.Adaptive is { } adaptive
        ? AdaptiveClipping.UpdateNoiseMultiplier(Settings.NoiseMultiplier, adaptive.ClipCountStddevFor(ExpectedClients(context)))
        : Settings.NoiseMultiplier;

    private double ExpectedClients(StrategyContext context) => Settings.SamplingRate * context.RegisteredClients;

    private NoiseSource NoiseFor(StrategyContext context) => Settings.SecureNoise
        ? NoiseSource.Secure()
        : NoiseSource.SeededNonPrivate(((ulong)0xD9F0_5EEDUL << 32) | (uint)context.Seed);

    private sealed class NoisingAccumulator : IUpdateAccumulator
    {
        private readonly DpFedAvg _owner;
        private readonly StrategyContext _context;
        private readonly Parameters _global;
        private readonly double _clip;
        private readonly GaussianMechanism _mechanism;
        private readonly double _grid;
        private readonly long[] _units;
        private readonly double[] _scratch;
        private int _added;
        private int _unclipped;

        public NoisingAccumulator(DpFedAvg owner, StrategyContext context, Parameters global, double clip, double updateNoiseMultiplier)
        {
            (_owner, _context, _global, _clip) = (owner, context, global, clip);
            _mechanism = new GaussianMechanism(clip, updateNoiseMultiplier * clip);
            _grid = NoiseGrid.GranularityFor(_mechanism.Sigma);
            _units = new long[global.Length];
            _scratch = new double[global.Length];
        }

        public void Add(ClientUpdate update)
        {
            Aggregation.RequireLayout(_global.Layout, update.Parameters);
            _unclipped += ClipDelta(_global.Values, update.Parameters.Values, _clip, _scratch) ? 1 : 0;
            _added++;
            for (var i = 0; i < _units.Length; i++)
            {
                // Towards zero onto the grid (g a power of two, so the division is exact): never a larger norm.
                _units[i] = checked(_units[i] + (long)Math.Truncate(_scratch[i] / _grid));
            }
        }

        public AggregationResult Complete()
        {
            if (_added == 0)
            {
                throw new InvalidOperationException("DP-FedAvg aggregates at least one update");
            }

            var sum = new double[_units.Length];
            for (var i = 0; i < sum.Length; i++)
            {
                sum[i] = _units[i] * _grid;
            }

            var source = _owner.NoiseFor(_context);
            var noiseGrid = _mechanism.Randomise(sum, source);
            var expected = _owner.ExpectedClients(_context);
            var global = _global.Values;
            var next = new float[sum.Length];
            for (var i = 0; i < next.Length; i++)
            {
                next[i] = (float)(global[i] + (sum[i] / expected));
            }

            var synthetic = new ClientUpdate(NoisedMean, Parameters.Wrap(_global.Layout, next), 1, NamedTensors.Empty, NamedTensors.NoHyperparameters);
            var inner = _owner._inner.AggregateFit(_context, _global, [synthetic]);
            var metrics = inner.Metrics
                .SetItem(_owner.EpsilonMetricName, _owner._epsilon)
                .SetItem(StepsMetric, _owner._accountant.Steps)
                .SetItem(ClipMetric, _clip)
                .SetItem(NoiseStddevMetric, noiseGrid.Scale)
                .SetItem(ExpectedClientsMetric, expected);
            if (_owner.Settings.Adaptive is { } adaptive)
            {
                double[] count = [_unclipped - (_added / 2.0)];
                new GaussianMechanism(AdaptiveClipping.CountSensitivity, adaptive.ClipCountStddevFor(expected)).Randomise(count, source);
                var share = AdaptiveClipping.UnclippedShare(count[0], expected);
                _owner._clip = AdaptiveClipping.NextClip(_clip, share, adaptive.TargetQuantile, adaptive.LearningRate);
                metrics = metrics.SetItem(UnclippedShareMetric, share).SetItem(NextClipMetric, _owner._clip);
            }

            return inner with { Metrics = metrics };
        }
    }
}
