using System.Globalization;
using FedActors.Core.Protocol;

namespace FedActors.Core.Client;

/// <summary>
/// How many noised updates each client has released under local DP: the T its composed ε is
/// computed over. Held by the <see cref="ClientStateStore"/>, so it outlives the client actors
/// (a restarted client keeps its count) and, in a store opened with
/// <see cref="ClientStateStore.OpenPersistent"/>, the node (one small file per client beside its
/// state, <c>&lt;client&gt;/local-dp-releases</c>, written atomically). Thread-safe.
/// </summary>
/// <remarks>
/// Unlike the store's round-tagged state, the count never rolls back: a retried round, a
/// discarded attempt or a server resumed from an older checkpoint do not take back an update
/// that already left the node, so each release counts once, for good. The count is written
/// before the release is sent (<see cref="Record"/>), so a crash between the two over-counts
/// rather than under-counts: the count is durable before the server can have seen the release.
/// A simulation with a checkpoint folder keeps its ledger there
/// (<see cref="Checkpoints.CheckpointFolder.LocalDpReleasesPath"/>), so a simulation resumed after
/// a stop or a kill in the middle of a round, or after a failed attempt, counts those attempts'
/// releases as the uninterrupted run did. Without one, or resuming a checkpoint that has no ledger
/// beside it, each count is raised to the attempts the checkpoint's history asked the client to
/// train in (<see cref="RaiseTo"/>), which over-counts a client that failed before releasing and
/// cannot know of the attempts after the checkpoint.
/// </remarks>
public sealed class ReleaseLedger
{
    /// <summary>The file, in a client's folder, that holds its count.</summary>
    public const string FileName = "local-dp-releases";

    private readonly object _gate = new();
    private readonly string? _directory;
    private readonly Dictionary<ClientId, long> _counts = [];

    private ReleaseLedger(string? directory) => _directory = directory;

    /// <summary>A ledger in memory only.</summary>
    public static ReleaseLedger InMemory() => new(null);

    /// <summary>A ledger kept in <paramref name="directory"/> (one folder per client), with what earlier runs of this node left there.</summary>
    public static ReleaseLedger Persistent(string directory) => new(Path.GetFullPath(directory));

    /// <summary>The releases counted so far for <paramref name="client"/>.</summary>
    /// <exception cref="InvalidDataException">The client's ledger file is not a count.</exception>
    public long Count(ClientId client)
    {
        lock (_gate)
        {
            return Current(client);
        }
    }

    /// <summary>
    /// Reads every client's count kept in the ledger's folder now (none in memory), so that a
    /// corrupt file stops a resume before it starts, naming the file, instead of failing that
    /// client's next release.
    /// </summary>
    /// <exception cref="InvalidDataException">A client's ledger file is not a count; the message names it.</exception>
    public void Verify()
    {
        if (_directory is null || !Directory.Exists(_directory))
        {
            return;
        }

        lock (_gate)
        {
            var clients = Directory.EnumerateDirectories(_directory)
                .Where(folder => File.Exists(Path.Combine(folder, FileName)))
                .Select(folder => new ClientId(Uri.UnescapeDataString(Path.GetFileName(folder))))
                .ToList();
            clients.ForEach(client => Current(client));
        }
    }

    /// <summary>Counts one more release for <paramref name="client"/>, persisted before it returns, and returns the new count.</summary>
    /// <exception cref="InvalidDataException">The client's ledger file is not a count.</exception>
    public long Record(ClientId client)
    {
        lock (_gate)
        {
            return Write(client, Current(client) + 1);
        }
    }

    /// <summary>Raises <paramref name="client"/>'s count to at least <paramref name="releases"/> (never lowers it): for a resumed simulation, whose new process counts from what the checkpoint's history shows.</summary>
    /// <exception cref="InvalidDataException">The client's ledger file is not a count.</exception>
    public void RaiseTo(ClientId client, long releases)
    {
        lock (_gate)
        {
            if (Current(client) < releases)
            {
                Write(client, releases);
            }
        }
    }

    private long Write(ClientId client, long count)
    {
        if (PathOf(client) is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(count.ToString(CultureInfo.InvariantCulture));
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }

        _counts[client] = count;
        return count;
    }

    private long Current(ClientId client)
    {
        if (_counts.TryGetValue(client, out var count))
        {
            return count;
        }

        count = 0;
        if (PathOf(client) is { } path && File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out count))
            {
                throw new InvalidDataException($"local-DP release ledger {path} holds '{text}', not a count of releases; restore it or delete it knowing that client {client}'s composed epsilon then restarts from zero");
            }
        }

        _counts[client] = count;
        return count;
    }

    private string? PathOf(ClientId client) => _directory is null ? null : Path.Combine(_directory, Uri.EscapeDataString(client.Value), FileName);
}
