using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A run's history as JSON, for checkpoints: every field of every <see cref="RoundRecord"/>, so a
/// resumed run reports the same metrics as one left alone. Doubles keep their exact value
/// (shortest round-trip form, NaN and infinities by name).
/// </summary>
public static class HistoryJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new ClientIdConverter(), new RoundNumberConverter(), new OrdinalScalarsConverter() },
    };

    /// <summary>The history as JSON text.</summary>
    public static string Write(ImmutableArray<RoundRecord> history) => JsonSerializer.Serialize(history, Options);

    /// <summary>The history from <see cref="Write"/>'s text.</summary>
    /// <exception cref="JsonException">The text is not such a history.</exception>
    public static ImmutableArray<RoundRecord> Read(string json) =>
        JsonSerializer.Deserialize<ImmutableArray<RoundRecord>>(json, Options) is { IsDefault: false } history
            ? history
            : throw new JsonException("the history is empty or null");

    private sealed class ClientIdConverter : JsonConverter<ClientId>
    {
        public override ClientId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? throw new JsonException("a client id is null"));

        public override void Write(Utf8JsonWriter writer, ClientId value, JsonSerializerOptions options) => writer.WriteStringValue(value.Value);
    }

    private sealed class RoundNumberConverter : JsonConverter<RoundNumber>
    {
        public override RoundNumber Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => new(reader.GetInt32());

        public override void Write(Utf8JsonWriter writer, RoundNumber value, JsonSerializerOptions options) => writer.WriteNumberValue(value.Value);
    }

    // Metric maps compare keys ordinally everywhere; a deserialised one must too.
    private sealed class OrdinalScalarsConverter : JsonConverter<ImmutableSortedDictionary<string, double>>
    {
        public override ImmutableSortedDictionary<string, double> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            (JsonSerializer.Deserialize<Dictionary<string, double>>(ref reader, options) ?? []).ToImmutableSortedDictionary(StringComparer.Ordinal);

        public override void Write(Utf8JsonWriter writer, ImmutableSortedDictionary<string, double> value, JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            foreach (var (key, v) in value)
            {
                writer.WritePropertyName(key);
                JsonSerializer.Serialize(writer, v, options);
            }

            writer.WriteEndObject();
        }
    }
}
