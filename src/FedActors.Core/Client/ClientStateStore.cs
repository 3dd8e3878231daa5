using System.Collections.Immutable;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;

namespace FedActors.Core.Client;

/// <summary>
/// The tensors each client keeps from one fit to the next (SCAFFOLD's control variate, FedDyn's
/// gradient), keyed by <see cref="ClientId"/> and held outside the client actors, so a client that
/// supervision restarts finds its state again. Each entry is tagged with the round that wrote it,
/// and the previous entry is kept too: a fit for round r reads the newest entry written before r,
/// so a server that resumes at round k+1 and a client whose state is already at k+1 (it trained
/// in a round the server never checkpointed) agree, the client rolling back one round.
/// <para>
/// Entries beyond the memory budget are spilled to files (safetensors) in the spill folder, least
/// recently used first, so 10,000 clients with a model-sized state each need disk, not 66 GB of
/// memory. A store opened with <see cref="OpenPersistent"/> (a cluster node's) writes every entry
/// to its folder as it is saved, so the node's clients find their state again after the node
/// restarts. Thread-safe: clients on different training threads share one store.
/// </para>
/// </summary>
public sealed class ClientStateStore : IDisposable
{
    private const int GenerationsKept = 2;

    private readonly object _gate = new();
    private readonly long _memoryBudget;
    private readonly string _spillDirectory;
    private readonly bool _ownsSpillDirectory;
    private readonly bool _persistent;
    private readonly Dictionary<ClientId, List<Slot>> _slots = [];
    private readonly LinkedList<Slot> _inMemory = [];
    private long _bytesInMemory;
    private long _spillCounter;

    /// <summary>Creates an empty store.</summary>
    /// <param name="memoryBudgetBytes">Bytes of state kept in memory before the least recently used entries spill to disk (at least 0).</param>
    /// <param name="spillDirectory">Where spilled entries go; null for a fresh temporary folder, deleted with the store.</param>
    /// <param name="releases">The clients' local-DP release counts; null for a ledger in memory (a simulation with checkpoints passes one kept beside them).</param>
    public ClientStateStore(long memoryBudgetBytes, string? spillDirectory = null, ReleaseLedger? releases = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(memoryBudgetBytes);
        _memoryBudget = memoryBudgetBytes;
        _ownsSpillDirectory = spillDirectory is null;
        _spillDirectory = spillDirectory ?? Path.Combine(Path.GetTempPath(), "fedactors-client-state-" + Guid.NewGuid().ToString("N"));
        Releases = releases ?? ReleaseLedger.InMemory();
    }

    private ClientStateStore(long memoryBudgetBytes, string directory, bool persistent)
        : this(memoryBudgetBytes, directory)
    {
        _persistent = persistent;
        Releases = ReleaseLedger.Persistent(directory);
    }

    /// <summary>
    /// Opens the store kept in <paramref name="directory"/>, one folder per client and one file
    /// per entry (<c>&lt;client&gt;/&lt;round&gt;.safetensors</c>, written atomically), with what earlier runs of
    /// this node left there.
    /// </summary>
    /// <exception cref="InvalidDataException">A file in the folder is not a state entry.</exception>
    public static ClientStateStore OpenPersistent(string directory, long memoryBudgetBytes)
    {
        var store = new ClientStateStore(memoryBudgetBytes, Path.GetFullPath(directory), persistent: true);
        Directory.CreateDirectory(store._spillDirectory);
        foreach (var folder in Directory.EnumerateDirectories(store._spillDirectory))
        {
            var client = new ClientId(Uri.UnescapeDataString(Path.GetFileName(folder)));
            var entries = Directory.EnumerateFiles(folder, "*.safetensors")
                .Select(f => (File: f, Round: int.TryParse(Path.GetFileNameWithoutExtension(f), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : -1))
                .ToList();
            if (entries.FirstOrDefault(e => e.Round < 0) is { File: { } stray })
            {
                throw new InvalidDataException($"client-state file {stray} is not named <round>.safetensors");
            }

            store._slots[client] = entries
                .OrderByDescending(e => e.Round)
                .Take(GenerationsKept)
                .Select(e => new Slot(client, new RoundNumber(e.Round)) { File = e.File })
                .ToList();
        }

        return store;
    }

    /// <summary>Each client's count of local-DP releases; kept beside the state, in the store's folder when it is persistent, and never rolled back.</summary>
    public ReleaseLedger Releases { get; }

    /// <summary>Bytes of state held in memory now.</summary>
    public long BytesInMemory
    {
        get
        {
            lock (_gate)
            {
                return _bytesInMemory;
            }
        }
    }

    /// <summary>Entries whose state is on disk only now.</summary>
    public int SpilledEntries
    {
        get
        {
            lock (_gate)
            {
                return _slots.Values.Sum(list => list.Count(s => s.State is null));
            }
        }
    }

    /// <summary>The state a fit for <paramref name="round"/> starts from: the newest entry written before that round; empty when the client has none.</summary>
    /// <exception cref="InvalidOperationException">The client's state is newer than <paramref name="round"/> by more than the one round it can roll back.</exception>
    public ImmutableSortedDictionary<string, Parameters> Load(ClientId client, RoundNumber round)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(client, out var list) || list.Count == 0)
            {
                return NamedTensors.Empty;
            }

            var slot = list.FirstOrDefault(s => s.Round < round) ?? throw new InvalidOperationException(
                $"client {client}'s kept state is from round {list[^1].Round} or later, but it was asked to train round {round}: " +
                "the server resumed from an older checkpoint than this client's state can roll back to (one round); " +
                "resume from a newer checkpoint or clear this client's state");
            return Read(slot);
        }
    }

    /// <summary>Keeps <paramref name="state"/> as what <paramref name="client"/>'s fit for <paramref name="round"/> left behind; an empty state is kept as such.</summary>
    public void Save(ClientId client, RoundNumber round, ImmutableSortedDictionary<string, Parameters> state)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(client, out var list))
            {
                list = [];
                _slots.Add(client, list);
            }

            // An entry from this round or later was written by work the run has since discarded.
            foreach (var stale in list.Where(s => s.Round >= round).ToList())
            {
                Remove(list, stale);
            }

            var slot = new Slot(client, round) { State = state, Bytes = SizeOf(state) };
            if (_persistent)
            {
                slot.File = WriteEntry(Path.Combine(_spillDirectory, Uri.EscapeDataString(client.Value)), $"{round.Value:D8}.safetensors", state);
            }

            list.Insert(0, slot);
            _inMemory.AddFirst(slot.Node = new LinkedListNode<Slot>(slot));
            _bytesInMemory += slot.Bytes;
            while (list.Count > GenerationsKept)
            {
                Remove(list, list[^1]);
            }

            SpillOverBudget();
        }
    }

    /// <summary>For a checkpoint after <paramref name="round"/>: each client's newest entry from that round or before, in id order.</summary>
    public IReadOnlyList<ClientStateEntry> Snapshot(RoundNumber round)
    {
        lock (_gate)
        {
            return _slots
                .OrderBy(kv => kv.Key)
                .Select(kv => kv.Value.FirstOrDefault(s => s.Round <= round))
                .OfType<Slot>()
                .Select(s => new ClientStateEntry(s.Client, s.Round, Read(s)))
                .ToList();
        }
    }

    /// <summary>Replaces everything with <paramref name="entries"/> (a resumed simulation's checkpoint).</summary>
    public void Restore(IEnumerable<ClientStateEntry> entries)
    {
        lock (_gate)
        {
            foreach (var list in _slots.Values)
            {
                foreach (var slot in list.ToList())
                {
                    Remove(list, slot);
                }
            }

            _slots.Clear();
        }

        foreach (var entry in entries)
        {
            Save(entry.Client, entry.Round, entry.State);
        }
    }

    /// <summary>Deletes the spill folder when the store created it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_ownsSpillDirectory && !_persistent && Directory.Exists(_spillDirectory))
            {
                Directory.Delete(_spillDirectory, recursive: true);
            }
        }
    }

    private static long SizeOf(ImmutableSortedDictionary<string, Parameters> state) => state.Values.Sum(p => (long)p.Length * sizeof(float));

    private ImmutableSortedDictionary<string, Parameters> Read(Slot slot)
    {
        if (slot.State is { } inMemory)
        {
            _inMemory.Remove(slot.Node!);
            _inMemory.AddFirst(slot.Node!);
            return inMemory;
        }

        try
        {
            return SafetensorsFile.ReadMap(slot.File!).Tensors.WithComparers(StringComparer.Ordinal);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"client {slot.Client}'s kept state from round {slot.Round} cannot be read: {e.Message}", e);
        }
    }

    // Into a temporary file renamed into place: a crash leaves the previous entry whole.
    private static string WriteEntry(string folder, string name, ImmutableSortedDictionary<string, Parameters> state)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            SafetensorsFile.WriteMap(stream, state);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return path;
    }

    private void Remove(List<Slot> list, Slot slot)
    {
        list.Remove(slot);
        if (slot.State is not null)
        {
            _inMemory.Remove(slot.Node!);
            _bytesInMemory -= slot.Bytes;
        }

        if (slot.File is not null)
        {
            File.Delete(slot.File);
        }
    }

    private void SpillOverBudget()
    {
        while (_bytesInMemory > _memoryBudget && _inMemory.Last is { } oldest)
        {
            var slot = oldest.Value;
            slot.File ??= WriteEntry(_spillDirectory, $"spilled-{_spillCounter++:D8}.safetensors", slot.State!);
            _inMemory.RemoveLast();
            _bytesInMemory -= slot.Bytes;
            slot.State = null;
        }
    }

    private sealed class Slot(ClientId client, RoundNumber round)
    {
        public ClientId Client { get; } = client;

        public RoundNumber Round { get; } = round;

        public ImmutableSortedDictionary<string, Parameters>? State { get; set; }

        public string? File { get; set; }

        public long Bytes { get; init; }

        public LinkedListNode<Slot>? Node { get; set; }
    }
}

/// <summary>One client's kept state and the round that wrote it.</summary>
public sealed record ClientStateEntry(ClientId Client, RoundNumber Round, ImmutableSortedDictionary<string, Parameters> State);
