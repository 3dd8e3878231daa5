using System.Globalization;
using Akka.Configuration;

namespace FedActors.Core.Configuration;

/// <summary>
/// Reads typed values from HOCON and turns every problem into a <see cref="ConfigurationException"/>
/// that names the key, the value found and what was expected, so that a settings class never
/// lets a raw parser exception (or a silently defaulted value) reach the user.
/// </summary>
public sealed class ConfigReader
{
    private readonly Config _config;

    /// <summary>Reads from <paramref name="config"/>, which should already fall back on the defaults.</summary>
    public ConfigReader(Config config) => _config = config;

    /// <summary>A whole number in [min, max].</summary>
    public int Int(string path, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Raw(path);
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            throw Invalid(path, raw, "a whole number");
        }

        return value >= min && value <= max ? value : throw Invalid(path, raw, RangeText(min, max));
    }

    /// <summary>A finite number in [min, max], or in (min, max] when <paramref name="minExclusive"/>.</summary>
    public double Double(string path, double min = double.MinValue, double max = double.MaxValue, bool minExclusive = false)
    {
        var raw = Raw(path);
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw Invalid(path, raw, "a number");
        }

        var aboveMin = minExclusive ? value > min : value >= min;
        return aboveMin && value <= max
            ? value
            : throw Invalid(path, raw, $"a number in {(minExclusive ? "(" : "[")}{Show(min)}, {Show(max)}]");
    }

    /// <summary>A non-negative number, or null when the key says <c>off</c>.</summary>
    public double? DoubleOrOff(string path) => IsOff(path) ? null : Double(path, min: 0, minExclusive: true);

    /// <summary>A whole number of at least <paramref name="min"/>, or null when the key says <c>off</c>.</summary>
    public int? IntOrOff(string path, int min = int.MinValue) => IsOff(path) ? null : Int(path, min);

    /// <summary>A string, or null when it is empty or says <c>off</c>.</summary>
    public string? StringOrOff(string path)
    {
        var raw = Raw(path);
        return raw.Length == 0 || IsOff(path) ? null : raw;
    }

    /// <summary>A size in bytes such as <c>512MiB</c> or <c>2g</c> (HOCON's size units), at least <paramref name="min"/>.</summary>
    public long Bytes(string path, long min = 0)
    {
        var raw = Raw(path);
        long? value;
        try
        {
            value = _config.GetByteSize(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Invalid(path, raw, "a size such as 512MiB or 2GiB");
        }

        return value is { } v && v >= min ? v : throw Invalid(path, raw, $"a size of at least {min} bytes");
    }

    /// <summary>on/off, true/false, yes/no.</summary>
    public bool Bool(string path)
    {
        var raw = Raw(path);
        return raw.ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw Invalid(path, raw, "on or off"),
        };
    }

    /// <summary>A positive duration such as <c>30s</c> or <c>500ms</c>.</summary>
    public TimeSpan Duration(string path)
    {
        var raw = Raw(path);
        TimeSpan value;
        try
        {
            value = _config.GetTimeSpan(path, allowInfinite: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw Invalid(path, raw, "a duration such as 30s or 500ms");
        }

        return value > TimeSpan.Zero ? value : throw Invalid(path, raw, "a positive duration");
    }

    /// <summary>A non-empty string.</summary>
    public string String(string path)
    {
        var raw = Raw(path);
        return raw.Length > 0 ? raw : throw Invalid(path, raw, "a non-empty string");
    }

    /// <summary>One of <paramref name="allowed"/> (compared case-insensitively, returned as listed).</summary>
    public string OneOf(string path, params string[] allowed)
    {
        var raw = Raw(path);
        return allowed.FirstOrDefault(a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase))
            ?? throw Invalid(path, raw, "one of " + string.Join(", ", allowed));
    }

    private bool IsOff(string path) => string.Equals(Raw(path), "off", StringComparison.OrdinalIgnoreCase);

    private string Raw(string path)
    {
        if (!_config.HasPath(path))
        {
            throw new ConfigurationException($"configuration key '{path}' is missing (reference.conf gives every key a default; was the configuration loaded through FedActorsConfig.Load?)");
        }

        var value = _config.GetValue(path);
        if (value.IsObject() || value.IsArray())
        {
            throw Invalid(path, value.IsObject() ? "{ ... }" : "[ ... ]", "a single value");
        }

        return value.GetString()?.Trim() ?? string.Empty;
    }

    private static ConfigurationException Invalid(string path, string raw, string expected) =>
        new($"configuration key '{path}' is '{raw}', but must be {expected}");

    private static string RangeText(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "a whole number",
        (_, int.MaxValue) => $"a whole number >= {min}",
        _ => $"a whole number in [{min}, {max}]",
    };

    private static string Show(double d) => d switch
    {
        double.MaxValue => "inf",
        double.MinValue => "-inf",
        _ => d.ToString(CultureInfo.InvariantCulture),
    };
}
