using System.Globalization;
using System.Text.Json.Nodes;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace FedActors.Cli.Output;

/// <summary>Turns a HOCON subtree into JSON, so that metrics.json records the exact configuration a run used.</summary>
internal static class HoconJson
{
    /// <summary>The subtree at <paramref name="path"/> as a JSON object (empty when absent). Numbers become JSON numbers; everything else stays text, as written.</summary>
    public static JsonObject ToJson(Config config, string path) =>
        config.HasPath(path) && ToNode(config.GetValue(path)) is JsonObject o ? o : [];

    private static JsonNode? ToNode(HoconValue value)
    {
        if (value.IsObject())
        {
            var obj = new JsonObject();
            foreach (var (key, child) in value.GetObject().Items.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                obj[key] = ToNode(child);
            }

            return obj;
        }

        if (value.IsArray())
        {
            return new JsonArray(value.GetArray().Select(ToNode).ToArray());
        }

        var text = value.GetString();
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var whole))
        {
            return JsonValue.Create(whole);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonValue.Create(number)
            : JsonValue.Create(text);
    }
}
