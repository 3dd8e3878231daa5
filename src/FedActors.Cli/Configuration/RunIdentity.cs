using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Configuration;
using FedActors.Cli.Output;

namespace FedActors.Cli.Configuration;

/// <summary>
/// What identifies a run's result: every <c>fedactors</c> key except the documented few that
/// cannot change it, as canonical JSON, and that JSON's SHA-256. Saved with each checkpoint;
/// a resume whose configuration differs in any other key is refused, naming the keys.
/// </summary>
internal static class RunIdentity
{
    /// <summary>The identity's keys in <see cref="FedActors.Core.Checkpoints.Checkpoint.Run"/>.</summary>
    public const string ConfigKey = "config", HashKey = "configHash";

    // Keys that change where things go, how fast, or how much is logged, but never the model
    // or the metrics. run.rounds is compared on its own: it may be raised to extend a run.
    private static readonly string[] Free =
    [
        "fedactors.run.rounds",
        "fedactors.run.checkpoint-directory",
        "fedactors.simulation.output-directory",
        "fedactors.server.log-verbose",
        "fedactors.server.registration-timeout",
        "fedactors.training.parallelism",
        "fedactors.training-dispatcher",
        "fedactors.client.registration-retry",
        "fedactors.client.state",

        // Where the nodes listen and how they talk: a cluster run is the simulation with the wire in between.
        "fedactors.cluster",
    ];

    /// <summary>The identity of <paramref name="effective"/> (the merged configuration).</summary>
    public static ImmutableSortedDictionary<string, string> Of(Config effective)
    {
        var json = Canonical(effective).ToJsonString();
        return ImmutableSortedDictionary.CreateRange<string, string>(StringComparer.Ordinal, [
            new(ConfigKey, json),
            new(HashKey, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json))).ToLowerInvariant()),
        ]);
    }

    /// <summary>The keys whose values differ between a checkpoint's identity and this run's, each with both values.</summary>
    public static IReadOnlyList<string> Differences(ImmutableSortedDictionary<string, string> saved, ImmutableSortedDictionary<string, string> current)
    {
        if (saved.GetValueOrDefault(HashKey) == current.GetValueOrDefault(HashKey))
        {
            return [];
        }

        var before = Flatten(JsonNode.Parse(saved.GetValueOrDefault(ConfigKey) ?? "{}"));
        var now = Flatten(JsonNode.Parse(current[ConfigKey]));
        return before.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Where(k => before.GetValueOrDefault(k) != now.GetValueOrDefault(k))
            .Select(k => $"'{k}' was {before.GetValueOrDefault(k) ?? "unset"} in the checkpointed run and is {now.GetValueOrDefault(k) ?? "unset"} now")
            .ToList();
    }

    private static JsonObject Canonical(Config effective)
    {
        var tree = HoconJson.ToJson(effective, "fedactors");
        foreach (var key in Free)
        {
            Remove(tree, key["fedactors.".Length..].Split('.'));
        }

        return tree;
    }

    private static void Remove(JsonObject node, string[] path)
    {
        if (path.Length == 1)
        {
            node.Remove(path[0]);
        }
        else if (node[path[0]] is JsonObject child)
        {
            Remove(child, path[1..]);
        }
    }

    private static Dictionary<string, string> Flatten(JsonNode? node, string prefix = "fedactors")
    {
        var flat = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (key, child) in obj)
            {
                foreach (var kv in Flatten(child, $"{prefix}.{key}"))
                {
                    flat[kv.Key] = kv.Value;
                }
            }
        }
        else
        {
            flat[prefix] = node?.ToJsonString(new JsonSerializerOptions()) ?? "null";
        }

        return flat;
    }
}
