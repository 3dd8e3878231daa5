using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FedActors.Core.Tensors;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors), the
/// format of the final model, of checkpoints and of the client-state store. A file is an 8-byte
/// little-endian unsigned header length N, N bytes of UTF-8 JSON header, then the data buffer.
/// The header maps each tensor name to <c>{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}</c>,
/// with offsets relative to the start of the data buffer, and may hold a <c>__metadata__</c>
/// object of string to string. Files written here load with <c>safetensors.torch.load_file</c>.
/// </summary>
/// <remarks>
/// <para>
/// Only F32 is written and read. Data is the raw little-endian float32 buffer of each
/// <see cref="Parameters"/>, written and read with one copy. The header is padded with spaces so
/// that the data starts at a multiple of 8 bytes. Metadata is written in ordinal key order, so
/// the same input always gives the same bytes.
/// </para>
/// <para>
/// A map of parameter sets is stored flat: the tensor <c>fc1.weight</c> of the entry
/// <c>client-3</c> is named <c>client-3/fc1.weight</c>. Reading splits each name at its
/// <em>last</em> <see cref="MapKeySeparator"/>, so map keys may themselves contain it (a store can
/// nest <c>client-3/ctrl</c>), while tensor names written into a map must not.
/// </para>
/// <para>
/// Reading treats the input as hostile: the header length is checked against the bytes that are
/// really there before anything is allocated, every offset against the data buffer, every shape
/// against its offsets, and the tensors must tile the buffer exactly. Any failure is an
/// <see cref="InvalidDataException"/> whose message names the source and the problem.
/// </para>
/// </remarks>
public static class SafetensorsFile
{
    /// <summary>Separates a map entry's key from its tensor names: <c>key/tensor</c>.</summary>
    public const char MapKeySeparator = '/';

    /// <summary>The largest header read, as in the reference implementation; real headers are a few megabytes at most.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const string Float32 = "F32";
    private const int LengthPrefixBytes = 8;
    private const int DataAlignment = 8;
    private const string SpanSource = "safetensors data";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Only what JSON requires is escaped, so non-ASCII and '+' in names stay readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <paramref name="parameters"/> to a new file at <paramref name="path"/>, replacing any file there.</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="parameters">The tensors, written in layout order under their layout names.</param>
    /// <param name="metadata">Written as <c>__metadata__</c>; null or empty writes none.</param>
    public static void Write(string path, Parameters parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        List<(string, Parameters)> groups = [(string.Empty, parameters)];
        var head = EncodeHead(groups, metadata);
        using var file = CreateFile(path);
        WriteBody(file, head, groups);
    }

    /// <summary>
    /// Writes <paramref name="parameters"/> to <paramref name="destination"/> at its current position.
    /// The caller owns the stream: it is neither flushed nor closed.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="parameters">The tensors, written in layout order under their layout names.</param>
    /// <param name="metadata">Written as <c>__metadata__</c>; null or empty writes none.</param>
    public static void Write(Stream destination, Parameters parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(parameters);
        List<(string, Parameters)> groups = [(string.Empty, parameters)];
        WriteBody(destination, EncodeHead(groups, metadata), groups);
    }

    /// <summary>Writes a map of parameter sets to a new file at <paramref name="path"/>, replacing any file there.</summary>
    /// <param name="path">The file to create.</param>
    /// <param name="entries">
    /// The parameter sets, written in ordinal key order, each tensor named <c>key/tensor</c>. Keys
    /// must not be empty; tensor names must not contain <see cref="MapKeySeparator"/>.
    /// </param>
    /// <param name="metadata">Written as <c>__metadata__</c>; null or empty writes none.</param>
    public static void WriteMap(string path, IReadOnlyDictionary<string, Parameters> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var groups = MapGroups(entries);
        var head = EncodeHead(groups, metadata);
        using var file = CreateFile(path);
        WriteBody(file, head, groups);
    }

    /// <summary>
    /// Writes a map of parameter sets to <paramref name="destination"/> at its current position.
    /// The caller owns the stream: it is neither flushed nor closed.
    /// </summary>
    /// <param name="destination">A writable stream.</param>
    /// <param name="entries">
    /// The parameter sets, written in ordinal key order, each tensor named <c>key/tensor</c>. Keys
    /// must not be empty; tensor names must not contain <see cref="MapKeySeparator"/>.
    /// </param>
    /// <param name="metadata">Written as <c>__metadata__</c>; null or empty writes none.</param>
    public static void WriteMap(Stream destination, IReadOnlyDictionary<string, Parameters> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var groups = MapGroups(entries);
        WriteBody(destination, EncodeHead(groups, metadata), groups);
    }

    /// <summary>Reads the file at <paramref name="path"/> as one parameter set, its layout in the order of the data offsets.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid F32 safetensors file, or holds no tensor; the message names the file.</exception>
    public static SafetensorsContent<Parameters> Read(string path)
    {
        using var file = OpenFile(path);
        return ToParameters(ReadFrom(file, FileSource(path), asMap: false));
    }

    /// <summary>
    /// Reads a parameter set from <paramref name="source"/>, from its current position to its end.
    /// A seekable stream is read straight into the tensors; any other is first buffered in memory.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid F32 safetensors file, or hold no tensor.</exception>
    public static SafetensorsContent<Parameters> Read(Stream source) => ToParameters(ReadFrom(source, StreamSource(source), asMap: false));

    /// <summary>Reads a parameter set from the whole of <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid F32 safetensors file, or hold no tensor.</exception>
    public static SafetensorsContent<Parameters> Read(ReadOnlySpan<byte> bytes) => ToParameters(ReadFrom(bytes, SpanSource, asMap: false));

    /// <summary>Reads the file at <paramref name="path"/> as a map written by <see cref="WriteMap(string, IReadOnlyDictionary{string, Parameters}, IReadOnlyDictionary{string, string}?)"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid F32 safetensors file, or a tensor name has no <c>key/</c> prefix; the message names the file.</exception>
    public static SafetensorsContent<ImmutableSortedDictionary<string, Parameters>> ReadMap(string path)
    {
        using var file = OpenFile(path);
        return ToMap(ReadFrom(file, FileSource(path), asMap: true));
    }

    /// <summary>
    /// Reads a map from <paramref name="source"/>, from its current position to its end.
    /// A seekable stream is read straight into the tensors; any other is first buffered in memory.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid F32 safetensors file, or a tensor name has no <c>key/</c> prefix.</exception>
    public static SafetensorsContent<ImmutableSortedDictionary<string, Parameters>> ReadMap(Stream source) =>
        ToMap(ReadFrom(source, StreamSource(source), asMap: true));

    /// <summary>Reads a map from the whole of <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid F32 safetensors file, or a tensor name has no <c>key/</c> prefix.</exception>
    public static SafetensorsContent<ImmutableSortedDictionary<string, Parameters>> ReadMap(ReadOnlySpan<byte> bytes) =>
        ToMap(ReadFrom(bytes, SpanSource, asMap: true));

    // ---- writing ----

    private static FileStream CreateFile(string path) =>
        new(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);

    private static List<(string Prefix, Parameters Values)> MapGroups(IReadOnlyDictionary<string, Parameters> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var groups = new List<(string Prefix, Parameters Values)>(entries.Count);
        foreach (var (key, values) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(key))
            {
                throw new ArgumentException("a map key must not be empty", nameof(entries));
            }

            ArgumentNullException.ThrowIfNull(values, $"{nameof(entries)}[{key}]");
            foreach (var tensor in values.Layout.Tensors)
            {
                if (tensor.Name.Contains(MapKeySeparator, StringComparison.Ordinal))
                {
                    throw new ArgumentException(
                        $"tensor '{tensor.Name}' of map entry '{key}' contains '{MapKeySeparator}', so it could not be told from its key when read back",
                        nameof(entries));
                }
            }

            groups.Add((key + MapKeySeparator, values));
        }

        return groups;
    }

    /// <summary>The length prefix, the JSON header and its padding; built before anything is written, so bad arguments leave no half-written file.</summary>
    private static byte[] EncodeHead(List<(string Prefix, Parameters Values)> groups, IReadOnlyDictionary<string, string>? metadata)
    {
        RequireLittleEndian();
        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(value, $"{nameof(metadata)}[{key}]");
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
            }

            long offset = 0;
            foreach (var (prefix, values) in groups)
            {
                foreach (var tensor in values.Layout.Tensors)
                {
                    var name = prefix + tensor.Name;
                    if (name == MetadataKey)
                    {
                        throw new ArgumentException($"a tensor cannot be named '{MetadataKey}': the format reserves that key", nameof(groups));
                    }

                    json.WriteStartObject(name);
                    json.WriteString("dtype", Float32);
                    json.WriteStartArray("shape");
                    foreach (var dim in tensor.Shape)
                    {
                        json.WriteNumberValue(dim);
                    }

                    json.WriteEndArray();
                    json.WriteStartArray("data_offsets");
                    json.WriteNumberValue(offset);
                    offset += (long)tensor.Length * sizeof(float);
                    json.WriteNumberValue(offset);
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
            }

            json.WriteEndObject();
        }

        // Trailing spaces, which the format allows, make the data start 8-byte aligned.
        var padded = (header.WrittenCount + DataAlignment - 1) / DataAlignment * DataAlignment;
        var head = new byte[LengthPrefixBytes + padded];
        BinaryPrimitives.WriteUInt64LittleEndian(head, (ulong)padded);
        header.WrittenSpan.CopyTo(head.AsSpan(LengthPrefixBytes));
        head.AsSpan(LengthPrefixBytes + header.WrittenCount).Fill((byte)' ');
        return head;
    }

    private static void WriteBody(Stream destination, byte[] head, List<(string Prefix, Parameters Values)> groups)
    {
        destination.Write(head);
        foreach (var (_, values) in groups)
        {
            // Layout order is buffer order, so one parameter set is one contiguous write.
            destination.Write(MemoryMarshal.AsBytes(values.Values));
        }
    }

    // ---- reading ----

    private static FileStream OpenFile(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);

    private static string FileSource(string path) => $"safetensors file '{path}'";

    private static string StreamSource(Stream source) =>
        source is FileStream file ? FileSource(file.Name) : "safetensors stream";

    private static Loaded ReadFrom(ReadOnlySpan<byte> bytes, string source, bool asMap)
    {
        RequireLittleEndian();
        var headerLength = CheckHeaderLength(bytes, bytes.Length, source);
        var dataLength = bytes.Length - LengthPrefixBytes - headerLength;
        var header = ParseHeader(bytes.Slice(LengthPrefixBytes, headerLength), dataLength, source);
        var loaded = Allocate(header, asMap, source);
        var data = bytes[(LengthPrefixBytes + headerLength)..];
        foreach (var target in loaded.Targets)
        {
            data.Slice((int)target.Begin, target.ByteLength).CopyTo(target.Destination);
        }

        return loaded;
    }

    private static Loaded ReadFrom(Stream stream, string source, bool asMap)
    {
        ArgumentNullException.ThrowIfNull(stream);
        RequireLittleEndian();
        if (!stream.CanSeek)
        {
            // Without a length there is nothing to check a corrupt header length against, so the
            // bytes that are really there are gathered first; the buffer grows with them.
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return ReadFrom(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), source, asMap);
        }

        try
        {
            var available = Math.Max(0, stream.Length - stream.Position);
            Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
            var prefixLength = (int)Math.Min(available, LengthPrefixBytes);
            stream.ReadExactly(prefix[..prefixLength]);
            var headerLength = CheckHeaderLength(prefix[..prefixLength], available, source);
            var headerBytes = new byte[headerLength];
            stream.ReadExactly(headerBytes);
            var header = ParseHeader(headerBytes, available - LengthPrefixBytes - headerLength, source);
            var loaded = Allocate(header, asMap, source);

            // The tensors tile the data buffer in this order, so one sequential pass fills them all.
            foreach (var target in loaded.Targets)
            {
                stream.ReadExactly(target.Destination);
            }

            return loaded;
        }
        catch (EndOfStreamException)
        {
            throw Bad(source, "the data ended before its declared length (was it truncated while being read?)");
        }
    }

    private static int CheckHeaderLength(ReadOnlySpan<byte> start, long available, string source)
    {
        if (start.Length < LengthPrefixBytes)
        {
            throw Bad(source, $"it is {available} bytes long, too short for the {LengthPrefixBytes}-byte header length that starts every safetensors file");
        }

        var declared = BinaryPrimitives.ReadUInt64LittleEndian(start);
        var remaining = available - LengthPrefixBytes;
        if (declared > (ulong)remaining)
        {
            throw Bad(source, $"the header length {declared} is larger than the {remaining} bytes that follow it (truncated or not a safetensors file)");
        }

        if (declared > MaxHeaderBytes)
        {
            throw Bad(source, $"the header length {declared} exceeds the limit of {MaxHeaderBytes} bytes");
        }

        return (int)declared;
    }

    private static Header ParseHeader(ReadOnlySpan<byte> headerBytes, long dataLength, string source)
    {
        if (headerBytes.IsEmpty || headerBytes[0] != (byte)'{')
        {
            throw Bad(source, headerBytes.IsEmpty
                ? "the header is empty"
                : $"the header does not start with '{{' (byte 0x{headerBytes[0]:X2}), so it is not a JSON object");
        }

        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(headerBytes);
            document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                throw Bad(source, $"the header has {reader.TokenType} after its JSON object");
            }
        }
        catch (JsonException e)
        {
            throw Bad(source, $"the header is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            try
            {
                return ReadHeaderObject(document.RootElement, dataLength, source);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument checks UTF-8 only when it turns a name or a string into text.
                throw Bad(source, $"the header is not valid UTF-8: {e.Message}", e);
            }
        }
    }

    private static Header ReadHeaderObject(JsonElement root, long dataLength, string source)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        var metadata = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (!names.Add(property.Name))
            {
                throw Bad(source, $"the header has the key '{property.Name}' twice");
            }

            if (property.Name == MetadataKey)
            {
                metadata = ParseMetadata(property.Value, source);
            }
            else
            {
                entries.Add(ParseEntry(property.Name, property.Value, dataLength, source));
            }
        }

        // Stable, so tensors at the same offset (never valid) keep header order for the overlap message.
        var ordered = entries.OrderBy(e => e.Begin).ToList();
        CheckTiling(ordered, dataLength, source);
        return new Header(ordered, metadata);
    }

    private static ImmutableSortedDictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, $"'{MetadataKey}' is {Describe(value.ValueKind)}, not an object of strings");
        }

        var metadata = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                throw Bad(source, $"'{MetadataKey}' entry '{property.Name}' is {Describe(property.Value.ValueKind)}; metadata values must be strings");
            }

            if (!metadata.TryAdd(property.Name, property.Value.GetString()!))
            {
                throw Bad(source, $"'{MetadataKey}' has the key '{property.Name}' twice");
            }
        }

        return metadata.ToImmutable();
    }

    private static Entry ParseEntry(string name, JsonElement value, long dataLength, string source)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw Bad(source, "a tensor has an empty or blank name");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, $"tensor '{name}' is {Describe(value.ValueKind)}, not an object with dtype, shape and data_offsets");
        }

        JsonElement? dtype = null, shape = null, offsets = null;
        foreach (var field in value.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    Take(ref dtype, field);
                    break;
                case "shape":
                    Take(ref shape, field);
                    break;
                case "data_offsets":
                    Take(ref offsets, field);
                    break;
            }
        }

        void Take(ref JsonElement? slot, JsonProperty field) =>
            slot = slot is null ? field.Value : throw Bad(source, $"tensor '{name}' has the field '{field.Name}' twice");

        if (dtype is not { } dtypeValue)
        {
            throw Bad(source, $"tensor '{name}' has no \"dtype\"");
        }

        if (dtypeValue.ValueKind != JsonValueKind.String)
        {
            throw Bad(source, $"tensor '{name}' has a dtype that is {Describe(dtypeValue.ValueKind)}, not a string");
        }

        if (!dtypeValue.ValueEquals(Float32))
        {
            throw Bad(source, $"tensor '{name}' has dtype '{dtypeValue.GetString()}'; only {Float32} can be read");
        }

        var dims = ParseShape(name, shape, source);
        var (begin, end) = ParseOffsets(name, offsets, dataLength, source);

        // Saturating product: a corrupt shape must not overflow into a plausible size.
        long elements = 1;
        foreach (var dim in dims)
        {
            elements = elements > long.MaxValue / dim ? long.MaxValue : elements * dim;
        }

        var span = end - begin;
        if (elements > long.MaxValue / sizeof(float) || elements * sizeof(float) != span)
        {
            throw Bad(source, $"tensor '{name}' has shape [{string.Join(", ", dims)}] ({elements} F32 values) but data_offsets [{begin}, {end}] hold {span} bytes");
        }

        if (elements > Array.MaxLength)
        {
            throw Bad(source, $"tensor '{name}' has {elements} values, more than one buffer can hold");
        }

        return new Entry(name, new TensorSpec(name, dims), begin, end);
    }

    private static ImmutableArray<int> ParseShape(string name, JsonElement? shape, string source)
    {
        if (shape is not { } value)
        {
            throw Bad(source, $"tensor '{name}' has no \"shape\"");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Bad(source, $"tensor '{name}' has a shape that is {Describe(value.ValueKind)}, not an array");
        }

        var dims = ImmutableArray.CreateBuilder<int>(value.GetArrayLength());
        foreach (var dim in value.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
            {
                throw Bad(source, $"tensor '{name}' has shape {value.GetRawText()}, whose dimensions are not all non-negative integers");
            }

            if (d == 0)
            {
                throw Bad(source, $"tensor '{name}' has shape {value.GetRawText()}, which is empty; FedActors parameters cannot hold empty tensors");
            }

            if (d > int.MaxValue)
            {
                throw Bad(source, $"tensor '{name}' has shape {value.GetRawText()}, with a dimension larger than {int.MaxValue}");
            }

            dims.Add((int)d);
        }

        return dims.MoveToImmutable();
    }

    private static (long Begin, long End) ParseOffsets(string name, JsonElement? offsets, long dataLength, string source)
    {
        if (offsets is not { } value)
        {
            throw Bad(source, $"tensor '{name}' has no \"data_offsets\"");
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2
            || !TryGetOffset(value[0], out var begin) || !TryGetOffset(value[1], out var end))
        {
            throw Bad(source, $"tensor '{name}' has data_offsets {value.GetRawText()}, not two non-negative integers [begin, end]");
        }

        if (begin > end)
        {
            throw Bad(source, $"tensor '{name}' has data_offsets [{begin}, {end}], which end before they begin");
        }

        if (end > (ulong)dataLength)
        {
            throw Bad(source, $"tensor '{name}' has data_offsets [{begin}, {end}], out of range of the {dataLength}-byte data buffer");
        }

        return ((long)begin, (long)end);
    }

    private static void CheckTiling(List<Entry> ordered, long dataLength, string source)
    {
        long covered = 0;
        Entry? previous = null;
        foreach (var entry in ordered)
        {
            if (entry.Begin < covered)
            {
                throw Bad(source, $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap");
            }

            if (entry.Begin > covered)
            {
                throw Bad(source, $"bytes [{covered}, {entry.Begin}) of the data buffer belong to no tensor");
            }

            covered = entry.End;
            previous = entry;
        }

        if (covered != dataLength)
        {
            throw Bad(source, $"the last {dataLength - covered} bytes of the {dataLength}-byte data buffer belong to no tensor (trailing bytes)");
        }
    }

    private static Loaded Allocate(Header header, bool asMap, string source)
    {
        // Group by map key (or into one group), keeping each group's tensors in data order.
        var specsByKey = new Dictionary<string, List<TensorSpec>>(StringComparer.Ordinal);
        var placement = new (string Key, int Index)[header.Entries.Count];
        for (var i = 0; i < header.Entries.Count; i++)
        {
            var entry = header.Entries[i];
            var (key, spec) = asMap ? SplitMapName(entry, source) : (string.Empty, entry.Spec);
            if (!specsByKey.TryGetValue(key, out var specs))
            {
                specsByKey.Add(key, specs = []);
            }

            placement[i] = (key, specs.Count);
            specs.Add(spec);
        }

        var groups = new Dictionary<string, Group>(specsByKey.Count, StringComparer.Ordinal);
        foreach (var (key, specs) in specsByKey)
        {
            ParameterLayout layout;
            try
            {
                layout = new ParameterLayout(specs);
            }
            catch (ArgumentException e)
            {
                throw Bad(source, e.Message, e);
            }

            // Every buffer is sized from offsets already checked against the real data length.
            groups.Add(key, new Group(layout, new float[layout.TotalLength]));
        }

        var targets = new List<Target>(header.Entries.Count);
        for (var i = 0; i < header.Entries.Count; i++)
        {
            var (key, index) = placement[i];
            var group = groups[key];
            targets.Add(new Target(header.Entries[i].Begin, group.Values, group.Layout.OffsetOf(index), group.Layout.Tensors[index].Length));
        }

        return new Loaded(groups, header.Metadata, targets, source);
    }

    private static (string Key, TensorSpec Spec) SplitMapName(Entry entry, string source)
    {
        var at = entry.Name.LastIndexOf(MapKeySeparator);
        var tensor = at < 0 ? string.Empty : entry.Name[(at + 1)..];
        if (at <= 0 || string.IsNullOrWhiteSpace(tensor))
        {
            throw Bad(source, $"tensor '{entry.Name}' is not named 'key{MapKeySeparator}tensor', so it belongs to no map entry");
        }

        return (entry.Name[..at], new TensorSpec(tensor, entry.Spec.Shape));
    }

    private static SafetensorsContent<Parameters> ToParameters(Loaded loaded) =>
        loaded.Groups.TryGetValue(string.Empty, out var group)
            ? new SafetensorsContent<Parameters>(Parameters.Wrap(group.Layout, group.Values), loaded.Metadata)
            : throw Bad(loaded.Source, "it holds no tensors");

    private static SafetensorsContent<ImmutableSortedDictionary<string, Parameters>> ToMap(Loaded loaded)
    {
        var map = ImmutableSortedDictionary.CreateBuilder<string, Parameters>(StringComparer.Ordinal);
        foreach (var (key, group) in loaded.Groups)
        {
            map.Add(key, Parameters.Wrap(group.Layout, group.Values));
        }

        return new SafetensorsContent<ImmutableSortedDictionary<string, Parameters>>(map.ToImmutable(), loaded.Metadata);
    }

    private static bool TryGetOffset(JsonElement element, out ulong value)
    {
        value = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetUInt64(out value);
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("safetensors data is little-endian float32; this platform is big-endian");
        }
    }

    private static InvalidDataException Bad(string source, string problem, Exception? inner = null) =>
        new($"{source}: {problem}", inner);

    private sealed record Entry(string Name, TensorSpec Spec, long Begin, long End);

    private sealed record Header(List<Entry> Entries, ImmutableSortedDictionary<string, string> Metadata);

    private sealed record Group(ParameterLayout Layout, float[] Values);

    private sealed record Loaded(
        Dictionary<string, Group> Groups,
        ImmutableSortedDictionary<string, string> Metadata,
        List<Target> Targets,
        string Source);

    /// <summary>Where one tensor's bytes go: its slice of a fresh buffer that no one else has seen yet.</summary>
    private sealed record Target(long Begin, float[] Values, int Offset, int Length)
    {
        public int ByteLength => Length * sizeof(float);

        public Span<byte> Destination => MemoryMarshal.AsBytes(Values.AsSpan(Offset, Length));
    }
}
