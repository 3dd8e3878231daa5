using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using FedActors.Core.Privacy;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors privacy</c>: a differential-privacy calculator for the sampled Gaussian mechanism
/// (DP-SGD, DP-FedAvg). <c>privacy epsilon</c> prints the ε a run spends, by the RDP accountant
/// (<see cref="RdpAccountant"/>) or the PLD one (<see cref="PldAccountant"/>); <c>privacy noise</c> the smallest noise
/// multiplier that keeps it within a target ε (<see cref="NoiseMultiplierSearch"/>). A value out
/// of range, or a target no noise can meet, is a usage error (exit code 2) naming the option.
/// </summary>
internal static class PrivacyCommand
{
    private static readonly string[] Accountants = ["rdp", "pld"];
    private static readonly string[] Conversions = ["improved", "classic"];
    private static readonly IReadOnlyList<double> PldIntervals = PldAccountant.IntervalLadder;

    /// <summary>Builds <c>privacy</c> with its two subcommands.</summary>
    public static Command Create(CliConsole console) =>
        new("privacy", "Differential-privacy calculator for the sampled Gaussian mechanism (RDP or PLD accountant).")
        {
            EpsilonCommand(console),
            NoiseCommand(console),
        };

    private static Command EpsilonCommand(CliConsole console)
    {
        var rate = SamplingRate();
        var noise = Number("--noise-multiplier", "Z", "Noise standard deviation over the L2 clipping norm (> 0).", z => z > 0, "above 0");
        var rounds = Rounds();
        var delta = Delta();
        var accountant = Choice("--accountant", Accountants, "rdp", "Accountant: rdp (Renyi DP, Mironov et al. 2019) or pld (privacy loss distributions, tighter and slower).");
        var conversion = Conversion();
        var command = new Command("epsilon", "Prints the epsilon spent by T rounds of the sampled Gaussian mechanism at sampling rate Q and noise multiplier Z, for a given delta.")
        {
            rate, noise, rounds, delta, accountant, conversion,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var (q, z, t, d) = (parsed.GetValue(rate)!.Value, parsed.GetValue(noise)!.Value, parsed.GetValue(rounds)!.Value, parsed.GetValue(delta)!.Value);
            var setting = $"delta {Show(d)}, {Describe(q, t)}, noise multiplier {Show(z)}";
            if (parsed.GetValue(accountant) == "pld")
            {
                // The finest grid the settings allow: a coarser one is looser, and still an upper bound.
                foreach (var interval in PldIntervals)
                {
                    try
                    {
                        var epsilon = PldAccountant.Create(interval).Compose(q, z, t).GetEpsilon(d);
                        return await PrintAsync(
                            console, $"epsilon: {Show(epsilon)}", setting, $"accountant pld (privacy loss distributions, connect-the-dots grid of {Show(interval)}, add and remove)");
                    }
                    catch (InvalidOperationException) when (interval != PldIntervals[^1])
                    {
                    }
                    catch (InvalidOperationException e)
                    {
                        return await UsageAsync(console, $"--accountant pld cannot hold this setting (--noise-multiplier {Show(z)}, --rounds {t}): {e.Message}");
                    }
                }
            }

            var spent = RdpAccountant.Empty.Compose(q, z, t).GetPrivacySpent(d, ToConversion(parsed.GetValue(conversion)));
            return await PrintAsync(console, $"epsilon: {Show(spent.Epsilon)}", setting, Accounting(spent));
        });
        return command;
    }

    private static Command NoiseCommand(CliConsole console)
    {
        var target = Number("--target-epsilon", "E", "The epsilon not to exceed (> 0).", e => e > 0 && !double.IsInfinity(e), "above 0 and finite");
        var rate = SamplingRate();
        var rounds = Rounds();
        var delta = Delta();
        var conversion = Conversion();
        var command = new Command(
            "noise",
            $"Prints the smallest noise multiplier whose T rounds at sampling rate Q stay within the target epsilon at delta (bisection on the RDP accountant to {NoiseMultiplierSearch.RelativePrecision:G1} relative, rounded up).")
        {
            target, rate, rounds, delta, conversion,
        };
        command.SetAction(async (parsed, ct) =>
        {
            var (e, q, t, d, c) = (parsed.GetValue(target)!.Value, parsed.GetValue(rate)!.Value, parsed.GetValue(rounds)!.Value, parsed.GetValue(delta)!.Value, ToConversion(parsed.GetValue(conversion)));
            var floor = RdpAccountant.Empty.EpsilonFloor(d, c);
            if (e <= floor)
            {
                return await UsageAsync(
                    console,
                    $"--target-epsilon {Show(e)} cannot be met at delta {Show(d)}: with any noise, the RDP accountant's {ConversionName(c)} conversion over its orders gives at least epsilon {Show(floor)}");
            }

            var (sigma, _) = NoiseMultiplierSearch.Find(e, q, t, d, c);
            var shown = RoundUp(sigma, 7);
            var spent = RdpAccountant.Empty.Compose(q, shown, t).GetPrivacySpent(d, c);
            return await PrintAsync(console, $"noise multiplier: {Show(shown)}", $"gives epsilon {Show(spent.Epsilon)} (target {Show(e)}) at delta {Show(d)}, {Describe(q, t)}", Accounting(spent));
        });
        return command;
    }

    private static Option<double?> SamplingRate() =>
        Number("--sampling-rate", "Q", "Probability that a record (or client) takes part in a round, in (0, 1].", q => q > 0 && q <= 1, "in (0, 1]");

    private static Option<double?> Delta() =>
        Number("--delta", "D", "The delta of the (epsilon, delta) guarantee, in (0, 1).", d => d > 0 && d < 1, "in (0, 1)");

    private static Option<string> Conversion() =>
        Choice("--conversion", Conversions, "improved", "RDP to (epsilon, delta), for --accountant rdp: improved (Balle et al. 2020) or classic (Mironov 2017).");

    private static Option<long?> Rounds() => new("--rounds")
    {
        Description = "Rounds (steps) of the sampled Gaussian mechanism (>= 1).",
        HelpName = "T",
        Required = true,
        CustomParser = r => Parse<long?>(r, "--rounds", "a whole number of at least 1", t => long.TryParse(t, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : null, t => t >= 1),
    };

    private static Option<double?> Number(string name, string helpName, string description, Func<double, bool> valid, string rule) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Required = true,
        CustomParser = r => Parse<double?>(r, name, $"a number {rule}", t => double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null, v => v is { } x && valid(x)),
    };

    private static Option<string> Choice(string name, string[] choices, string fallback, string description) => new(name)
    {
        Description = description,
        HelpName = string.Join("|", choices),
        DefaultValueFactory = _ => fallback,
        CustomParser = r => Parse(r, name, $"one of {string.Join(", ", choices)}", t => t, t => choices.Contains(t, StringComparer.Ordinal)),
    };

    // One token, parsed and checked; the error names the option, the rule and the token.
    private static T Parse<T>(ArgumentResult result, string name, string expected, Func<string, T> parse, Func<T, bool> valid)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        var value = parse(token);
        if (!valid(value))
        {
            result.AddError($"{name} must be {expected}, not '{token}'");
        }

        return value;
    }

    // The answer, the setting it holds for, and how it was accounted.
    private static async Task<int> PrintAsync(CliConsole console, string answer, string setting, string accounting)
    {
        await console.Out.WriteLineAsync(answer);
        await console.Out.WriteLineAsync("  " + setting);
        await console.Out.WriteLineAsync("  " + accounting);
        return ExitCodes.Success;
    }

    private static string Accounting(PrivacySpent spent) =>
        $"accountant rdp over {RdpAccountant.DefaultOrders.Length} orders (best {Show(spent.Order)}), conversion {ConversionName(spent.Conversion)}";

    private static async Task<int> UsageAsync(CliConsole console, string message)
    {
        await console.Error.WriteLineAsync("error: " + message);
        return ExitCodes.Usage;
    }

    private static RdpConversion ToConversion(string? name) => name == "classic" ? RdpConversion.Classic : RdpConversion.Improved;

    private static string ConversionName(RdpConversion conversion) =>
        conversion == RdpConversion.Classic ? "classic (Mironov 2017)" : "improved (Balle et al. 2020)";

    private static string Describe(double q, long t) => $"{t.ToString("N0", CultureInfo.InvariantCulture)} round{(t == 1 ? string.Empty : "s")} at sampling rate {Show(q)}";

    private static string Show(double value) => value.ToString("g10", CultureInfo.InvariantCulture);

    // The smallest value with this many significant digits that is not below x: a noise multiplier shown is one that meets the target.
    private static double RoundUp(double x, int digits)
    {
        var scale = Math.Pow(10, digits - 1 - (int)Math.Floor(Math.Log10(x)));
        var up = Math.Ceiling(x * scale) / scale;
        return up < x ? x : up;
    }
}
