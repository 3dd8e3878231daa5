using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A <see cref="PrivacySpentRecord"/> as one small file: a first line with the SHA-256 of the
/// rest, then the record as JSON (each scalar in its shortest round-trip form). Written into a
/// temporary file, flushed to disk and renamed over the old one, so a crash leaves one whole
/// record or the other; a record that does not match its hash is refused, never half-read. A
/// store that keeps records rather than files keeps the same bytes (<see cref="ToBytes"/>).
/// </summary>
public static class PrivacySpentFile
{
    /// <summary>The format; a file of another format is refused, not misread.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes <paramref name="record"/> to <paramref name="path"/> atomically and durably.</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public static void Write(string path, PrivacySpentRecord record)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stream.Write(ToBytes(record));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The record in <paramref name="path"/>, or null when there is no such file.</summary>
    /// <exception cref="InvalidDataException">The file is truncated, altered or of another format; the message names it.</exception>
    public static PrivacySpentRecord? Read(string path) => File.Exists(path) ? FromBytes(File.ReadAllBytes(path), path) : null;

    /// <summary>The file's bytes for <paramref name="record"/>, for a store that keeps them elsewhere.</summary>
    public static byte[] ToBytes(PrivacySpentRecord record)
    {
        var body = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["format"] = FormatVersion,
            ["round"] = record.Round.Value,
            ["attempt"] = record.Attempt,
            ["spent"] = JsonSerializer.SerializeToNode(record.Spent.ToDictionary(kv => kv.Key, kv => kv.Value.ToString("R", CultureInfo.InvariantCulture))),
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return [.. Encoding.ASCII.GetBytes(Convert.ToHexString(SHA256.HashData(body)) + "\n"), .. body];
    }

    /// <summary>Reads <see cref="ToBytes"/>'s output, checking its hash.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="source">Where they are from (a file's path, a store's record), for the message.</param>
    /// <exception cref="InvalidDataException">The bytes are truncated, altered or of another format; the message names <paramref name="source"/>.</exception>
    public static PrivacySpentRecord FromBytes(byte[] bytes, string source)
    {
        var newline = Array.IndexOf(bytes, (byte)'\n');
        var body = newline < 0 ? [] : bytes[(newline + 1)..];
        if (newline < 0 || !string.Equals(Encoding.ASCII.GetString(bytes, 0, newline).Trim(), Convert.ToHexString(SHA256.HashData(body)), StringComparison.OrdinalIgnoreCase))
        {
            throw Corrupt(source, "it does not match the SHA-256 on its first line (truncated or altered)");
        }

        try
        {
            var json = JsonNode.Parse(body) as JsonObject ?? throw Corrupt(source, "it is not a JSON object");
            var format = (int?)json["format"] ?? 0;
            if (format != FormatVersion)
            {
                throw Corrupt(source, $"it has format {format}; this FedActors reads format {FormatVersion}");
            }

            var round = (int?)json["round"] ?? throw Corrupt(source, "it names no round");
            var attempt = (int?)json["attempt"] ?? throw Corrupt(source, "it names no attempt");
            var spent = (json["spent"] as JsonObject ?? throw Corrupt(source, "it holds no 'spent' scalars"))
                .ToImmutableSortedDictionary(kv => kv.Key, kv => double.Parse((string?)kv.Value ?? "?", NumberStyles.Float, CultureInfo.InvariantCulture), StringComparer.Ordinal);
            return new PrivacySpentRecord(new RoundNumber(round), attempt, spent);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw Corrupt(source, e.Message);
        }
    }

    private static InvalidDataException Corrupt(string source, string why) =>
        new($"privacy record {source} cannot be read: {why}. It holds the privacy spent after the newest checkpoint: restore it, or delete it knowing that the resumed run then omits what the attempts after that checkpoint spent");
}
