using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedActors.Core.Client;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A run's checkpoint folder (<c>fedactors.run.checkpoint-directory</c>): one subfolder per
/// completed round, <c>round-000005/</c>, holding the global model, the strategy's state and the
/// clients' kept state as safetensors, the history as JSON, and a manifest with the SHA-256 of
/// each file, whose own SHA-256 is in <c>checkpoint.sha256</c> (the manifest's round, strategy
/// scalars and run identity are hashed nowhere else). A checkpoint is written into a temporary
/// folder and renamed into place, so a crash in the middle of a write leaves the previous
/// checkpoint whole; <see cref="LoadNewest"/> takes the newest checkpoint whose every file,
/// manifest included, matches its hash. The two newest are kept.
/// <para>
/// Beside them it keeps what a DP strategy's accountant spent after the newest checkpoint
/// (<see cref="PrivacySpentFileName"/>, <see cref="PrivacySpentRecord"/>) and, for a simulation
/// under local DP, each client's count of releases (<see cref="LocalDpReleasesPath"/>,
/// <see cref="Client.ReleaseLedger"/>): what was released must survive a stop or a kill in the
/// middle of a round, which the round's checkpoint, never written, cannot hold.
/// </para>
/// </summary>
public sealed class CheckpointFolder : ICheckpointStore, IPrivacySpentStore
{
    /// <summary>The file, in the folder, of the newest <see cref="PrivacySpentRecord"/>.</summary>
    public const string PrivacySpentFileName = "privacy-spent.json";

    /// <summary>The subfolder of a simulation's local-DP release counts.</summary>
    public const string LocalDpReleasesFolder = "local-dp-releases";

    /// <summary>The manifest's format; a checkpoint of another format is refused, not misread.</summary>
    public const int FormatVersion = 2;

    private const string Prefix = "round-";
    private const string ManifestFile = "checkpoint.json";
    private const string ManifestHashFile = "checkpoint.sha256";
    private const string GlobalFile = "global.safetensors";
    private const string StrategyFile = "strategy.safetensors";
    private const string ClientStateFile = "client-state.safetensors";
    private const string HistoryFile = "history.json";
    private const int Kept = 2;

    /// <summary>Uses <paramref name="path"/> (created on the first save).</summary>
    public CheckpointFolder(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Name => $"checkpoint folder {Path}";

    /// <summary>Where a simulation under local DP keeps its clients' release counts.</summary>
    public string LocalDpReleasesPath => System.IO.Path.Combine(Path, LocalDpReleasesFolder);

    /// <summary>The round of the newest checkpoint folder here, whole or not; null when there is none.</summary>
    public int? NewestRound => Directory.Exists(Path) ? Rounds().Select(r => (int?)r.Round).FirstOrDefault() : null;

    /// <summary>Writes <paramref name="checkpoint"/> atomically, then deletes all but the newest checkpoints.</summary>
    /// <remarks>Returns once the checkpoint is on disk.</remarks>
    /// <exception cref="IOException">The folder cannot be written.</exception>
    public void Save(Checkpoint checkpoint)
    {
        Directory.CreateDirectory(Path);
        var name = FolderName(checkpoint.Server.Round);
        var temporary = System.IO.Path.Combine(Path, $".{name}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(temporary);
        try
        {
            WriteFiles(checkpoint, file => new FileStream(System.IO.Path.Combine(temporary, file), FileMode.CreateNew, FileAccess.Write));
            var final = System.IO.Path.Combine(Path, name);
            if (Directory.Exists(final))
            {
                Directory.Delete(final, recursive: true);
            }

            Directory.Move(temporary, final);
        }
        catch
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }

            throw;
        }

        foreach (var old in Rounds().Skip(Kept))
        {
            Directory.Delete(old.Folder, recursive: true);
        }
    }

    /// <inheritdoc />
    /// <remarks>Written, flushed to disk and renamed into place before it returns.</remarks>
    public Task SaveSpent(PrivacySpentRecord record)
    {
        Directory.CreateDirectory(Path);
        PrivacySpentFile.Write(System.IO.Path.Combine(Path, PrivacySpentFileName), record);
        return Task.CompletedTask;
    }

    /// <summary>The newest whole checkpoint, with the privacy spent recorded beside it (<see cref="Checkpoint.Spent"/>), and why any newer checkpoint was passed over.</summary>
    /// <exception cref="InvalidDataException">The folder holds no whole checkpoint, the message saying what each candidate lacked; or its privacy record is corrupt, the message naming the file.</exception>
    public (Checkpoint Checkpoint, IReadOnlyList<string> Skipped) LoadNewest()
    {
        var (checkpoint, skipped) = LoadNewestCheckpoint();
        return (checkpoint with { Spent = PrivacySpentFile.Read(System.IO.Path.Combine(Path, PrivacySpentFileName)) }, skipped);
    }

    private (Checkpoint Checkpoint, IReadOnlyList<string> Skipped) LoadNewestCheckpoint()
    {
        var skipped = new List<string>();
        if (!Directory.Exists(Path))
        {
            throw new InvalidDataException($"checkpoint folder {Path} does not exist");
        }

        foreach (var (_, folder) in Rounds())
        {
            try
            {
                return (Load(folder), skipped);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or JsonException or UnauthorizedAccessException)
            {
                skipped.Add($"{folder}: {e.Message}");
            }
        }

        throw new InvalidDataException(
            skipped.Count == 0
                ? $"checkpoint folder {Path} holds no checkpoint (no {Prefix}NNNNNN folder)"
                : $"checkpoint folder {Path} holds no whole checkpoint:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", skipped));
    }

    /// <summary>Reads the checkpoint in <paramref name="folder"/>, checking every file against its manifest.</summary>
    /// <exception cref="InvalidDataException">A file (the manifest included) is missing, truncated, altered or of another format.</exception>
    public static Checkpoint Load(string folder) => Read(file =>
    {
        var path = System.IO.Path.Combine(folder, file);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    });

    /// <summary>
    /// Writes <paramref name="checkpoint"/>'s files, each into the stream <paramref name="create"/>
    /// opens for its name (and disposed here), the manifest with their SHA-256 last: the folder's
    /// layout, for a store that keeps the same files elsewhere (<see cref="CheckpointArchive"/>).
    /// </summary>
    internal static void WriteFiles(Checkpoint checkpoint, Func<string, Stream> create)
    {
        var hashes = new JsonObject
        {
            [GlobalFile] = WriteFile(create, GlobalFile, s => SafetensorsFile.Write(s, checkpoint.Server.Global)),
            [StrategyFile] = WriteFile(create, StrategyFile, s => SafetensorsFile.WriteMap(s, checkpoint.Server.Strategy.Tensors)),
            [ClientStateFile] = WriteFile(create, ClientStateFile, s => WriteClientStates(s, checkpoint.ClientStates)),
            [HistoryFile] = WriteFile(create, HistoryFile, s => s.Write(Encoding.UTF8.GetBytes(HistoryJson.Write(checkpoint.Server.History)))),
        };
        var manifest = new JsonObject
        {
            ["format"] = FormatVersion,
            ["round"] = checkpoint.Server.Round.Value,
            ["strategyScalars"] = JsonSerializer.SerializeToNode(checkpoint.Server.Strategy.Scalars.ToDictionary(kv => kv.Key, kv => kv.Value.ToString("R", CultureInfo.InvariantCulture))),
            ["run"] = JsonSerializer.SerializeToNode(checkpoint.Run.ToDictionary()),
            ["sha256"] = hashes,
        };
        var manifestHash = WriteFile(create, ManifestFile, s => s.Write(Encoding.UTF8.GetBytes(manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }))));
        WriteFile(create, ManifestHashFile, s => s.Write(Encoding.ASCII.GetBytes(manifestHash)));
    }

    /// <summary>Reads a checkpoint from its files, <paramref name="file"/> giving each one's bytes by name (null when it is missing), checking every file against its manifest.</summary>
    /// <exception cref="InvalidDataException">A file (the manifest included) is missing, truncated, altered or of another format.</exception>
    internal static Checkpoint Read(Func<string, byte[]?> file)
    {
        var manifestBytes = file(ManifestFile) ?? throw new InvalidDataException($"{ManifestFile} is missing (the write did not finish)");
        var manifestHash = file(ManifestHashFile)
            ?? throw new InvalidDataException($"{ManifestHashFile} is missing (the write did not finish, or a FedActors older than checkpoint format {FormatVersion} wrote it)");
        if (!string.Equals(Convert.ToHexString(SHA256.HashData(manifestBytes)), Encoding.ASCII.GetString(manifestHash).Trim(), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{ManifestFile} does not match the SHA-256 in {ManifestHashFile} (truncated or altered)");
        }

        var manifest = JsonNode.Parse(manifestBytes) as JsonObject ?? throw new InvalidDataException($"{ManifestFile} is not a JSON object");
        var format = (int?)manifest["format"] ?? 0;
        if (format != FormatVersion)
        {
            throw new InvalidDataException($"{ManifestFile} has format {format}; this FedActors reads format {FormatVersion}");
        }

        var hashes = manifest["sha256"] as JsonObject ?? throw new InvalidDataException($"{ManifestFile} lists no file hashes");
        byte[] Verified(string name)
        {
            var bytes = file(name) ?? throw new InvalidDataException($"{name} is missing");
            if (!string.Equals(Convert.ToHexString(SHA256.HashData(bytes)), (string?)hashes[name], StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException($"{name} does not match the SHA-256 in {ManifestFile} (truncated or altered)");
            }

            return bytes;
        }

        var round = new RoundNumber((int?)manifest["round"] ?? throw new InvalidDataException($"{ManifestFile} has no round"));
        var global = SafetensorsFile.Read(Verified(GlobalFile)).Tensors;
        var strategyTensors = SafetensorsFile.ReadMap(Verified(StrategyFile)).Tensors.WithComparers(StringComparer.Ordinal);
        var scalars = (manifest["strategyScalars"] as JsonObject ?? [])
            .ToImmutableSortedDictionary(kv => kv.Key, kv => double.Parse((string)kv.Value!, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var history = HistoryJson.Read(Encoding.UTF8.GetString(Verified(HistoryFile)));
        var clients = ReadClientStates(Verified(ClientStateFile));
        var run = (manifest["run"] as JsonObject ?? []).ToImmutableSortedDictionary(kv => kv.Key, kv => (string?)kv.Value ?? string.Empty, StringComparer.Ordinal);
        return new Checkpoint(new RunCheckpoint(round, global, history, new StrategyState(strategyTensors, scalars)), clients, run);
    }

    private static string FolderName(RoundNumber round) => Prefix + round.Value.ToString("D6", CultureInfo.InvariantCulture);

    // Newest first.
    private IEnumerable<(int Round, string Folder)> Rounds() =>
        Directory.EnumerateDirectories(Path, Prefix + "*")
            .Select(d => (Round: int.TryParse(System.IO.Path.GetFileName(d)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : -1, Folder: d))
            .Where(x => x.Round >= 0)
            .OrderByDescending(x => x.Round)
            .ToList();

    private static string WriteFile(Func<string, Stream> create, string name, Action<Stream> write)
    {
        // Hashed as it is written: the bytes pass through the hash on their way to the file, so a
        // model-sized file is not read back.
        using var sha = SHA256.Create();
        using (var file = create(name))
        {
            using (var hashing = new CryptoStream(file, sha, CryptoStreamMode.Write, leaveOpen: true))
            {
                write(hashing);
            }

            if (file is FileStream onDisk)
            {
                onDisk.Flush(flushToDisk: true);
            }
        }

        return Convert.ToHexString(sha.Hash!);
    }

    // One map for all clients, keyed "<client>/<state name>" (state names hold no '/'), and each
    // client's round (and so its presence, even with an empty state) in the metadata.
    private static void WriteClientStates(Stream stream, IReadOnlyList<ClientStateEntry> entries)
    {
        var tensors = new Dictionary<string, Parameters>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            metadata[entry.Client.Value] = entry.Round.Value.ToString(CultureInfo.InvariantCulture);
            foreach (var (name, value) in entry.State)
            {
                if (name.Contains(SafetensorsFile.MapKeySeparator, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"client {entry.Client}'s state name '{name}' contains '{SafetensorsFile.MapKeySeparator}'", nameof(entries));
                }

                tensors[entry.Client.Value + SafetensorsFile.MapKeySeparator + name] = value;
            }
        }

        SafetensorsFile.WriteMap(stream, tensors, metadata);
    }

    private static List<ClientStateEntry> ReadClientStates(byte[] bytes)
    {
        var content = SafetensorsFile.ReadMap(bytes);
        var byClient = content.Tensors
            .Select(kv => (Key: kv.Key, At: kv.Key.LastIndexOf(SafetensorsFile.MapKeySeparator), kv.Value))
            .Where(x => x.At > 0)
            .GroupBy(x => x.Key[..x.At], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToImmutableSortedDictionary(x => x.Key[(x.At + 1)..], x => x.Value, StringComparer.Ordinal), StringComparer.Ordinal);
        return content.Metadata
            .Select(kv => new ClientStateEntry(
                new ClientId(kv.Key),
                new RoundNumber(int.Parse(kv.Value, CultureInfo.InvariantCulture)),
                byClient.GetValueOrDefault(kv.Key) ?? NamedTensors.Empty))
            .ToList();
    }
}
