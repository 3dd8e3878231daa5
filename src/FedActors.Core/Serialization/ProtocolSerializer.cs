using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Core.Serialization;

/// <summary>
/// Binary serializer for the FedActors protocol. Parameters travel as their raw little-endian
/// float32 bytes after a short header of names and shapes, so an update costs its own size on
/// the wire and one memcpy at each end. Payloads are read defensively: a truncated or
/// inconsistent payload fails with a message naming the message type and what was wrong,
/// before any large buffer is allocated.
/// </summary>
public sealed class ProtocolSerializer : SerializerWithStringManifest
{
    // Above 100: Akka reserves 0-100 for its own serializers.
    internal const int SerializerId = 471;

    private const string RegisterClientManifest = "RC";
    private const string ClientRegisteredManifest = "CR";
    private const string FitRequestManifest = "FQ";
    private const string FitResultManifest = "FR";
    private const string EvaluateRequestManifest = "EQ";
    private const string EvaluateResultManifest = "ER";
    private const string ClientFailedManifest = "CF";

    /// <summary>
    /// The first byte of every payload. A node of another wire version fails with a message
    /// saying so, instead of misreading the bytes; bump it with every change of the layout
    /// (the cluster layer's messages included: a node announces it in its hello).
    /// </summary>
    public const byte WireVersion = 4;

    // Generous bounds that still stop a corrupt length from allocating gigabytes.
    private const int MaxTensors = 1 << 16;
    private const int MaxRank = 16;
    private const int MaxMapEntries = 1 << 10;

    /// <summary>Creates the serializer; Akka calls this from the serializer binding in reference.conf.</summary>
    public ProtocolSerializer(ExtendedActorSystem system)
        : base(system)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("FedActors' wire format is little-endian float32; this platform is big-endian");
        }
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        RegisterClient => RegisterClientManifest,
        ClientRegistered => ClientRegisteredManifest,
        FitRequest => FitRequestManifest,
        FitResult => FitResultManifest,
        EvaluateRequest => EvaluateRequestManifest,
        EvaluateResult => EvaluateResultManifest,
        ClientFailed => ClientFailedManifest,
        _ => throw new ArgumentException($"{nameof(ProtocolSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => Encode(w => WriteMessage(w, obj));

    /// <summary>
    /// <see cref="ToBinary"/>'s bytes in a buffer rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>,
    /// for a layer that writes them to a stream and lets them go (the cluster's bulk channel): a
    /// model-sized array per message would otherwise land on the large object heap each time.
    /// </summary>
    public PooledBytes ToPooled(object obj)
    {
        void Write(BinaryWriter w) => WriteMessage(w, obj);
        var pooled = PooledBytes.Rent(SizeOf(Write));
        WriteTo(new MemoryStream(pooled.Array, 0, pooled.Length), Write);
        return pooled;
    }

    // Sized exactly and left unzeroed: a model-sized message is written once, with no copy to trim it.
    private static byte[] Encode(Action<BinaryWriter> write)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(SizeOf(write));
        WriteTo(new MemoryStream(bytes), write);
        return bytes;
    }

    // The encoding's length, by writing it to a stream that only counts: no model-sized copy.
    private static int SizeOf(Action<BinaryWriter> write)
    {
        var counter = new ByteCounter();
        WriteTo(counter, write);
        return checked((int)counter.Length);
    }

    private static void WriteTo(Stream stream, Action<BinaryWriter> write)
    {
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        write(w);
    }

    private static void WriteMessage(BinaryWriter w, object obj)
    {
        w.Write(WireVersion);
        switch (obj)
        {
            case RegisterClient m:
                w.Write(m.Client.Value);
                break;
            case ClientRegistered m:
                w.Write(m.Client.Value);
                break;
            case FitRequest m:
                WriteRequestHead(w, m.Round, m.Attempt);
                WriteParameters(w, m.Global);
                WriteFitRequestTail(w, m);
                break;
            case FitResult m:
                w.Write(m.Client.Value);
                w.Write(m.Round.Value);
                w.Write(m.Attempt);
                WriteParameters(w, m.Updated);
                w.Write(m.SampleCount);
                w.Write(m.Loss);
                w.Write(m.Accuracy);
                WriteTensorMap(w, m.Extras);
                WriteScalarMap(w, m.Metrics);
                break;
            case EvaluateRequest m:
                WriteRequestHead(w, m.Round, m.Attempt);
                WriteParameters(w, m.Global);
                w.Write(m.Timeout.Ticks);
                break;
            case EvaluateResult m:
                w.Write(m.Client.Value);
                w.Write(m.Round.Value);
                w.Write(m.Attempt);
                w.Write(m.SampleCount);
                w.Write(m.Loss);
                w.Write(m.Accuracy);
                break;
            case ClientFailed m:
                w.Write(m.Client.Value);
                w.Write(m.Round.Value);
                w.Write(m.Attempt);
                w.Write(m.Phase);
                w.Write(m.Reason);
                w.Write(m.Cancelled);
                break;
            default:
                throw new ArgumentException($"{nameof(ProtocolSerializer)} cannot serialize {obj.GetType()}", nameof(obj));
        }
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) => Read(new MemoryStream(bytes, writable: false), manifest);

    /// <summary>Reads a message from <paramref name="bytes"/> (a slice of a larger buffer, such as a rented one), without copying them.</summary>
    /// <exception cref="SerializationException">As <see cref="FromBinary"/>.</exception>
    public object FromMemory(ReadOnlyMemory<byte> bytes, string manifest) =>
        Read(MemoryMarshal.TryGetArray(bytes, out var segment) ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false) : new MemoryStream(bytes.ToArray(), writable: false), manifest);

    /// <summary>
    /// Reads a message whose payload is the concatenation of <paramref name="before"/>,
    /// <paramref name="model"/> and <paramref name="after"/>, without concatenating them: a client
    /// node rebuilds each of its clients' requests from one model it holds and the request's own
    /// small parts (see <see cref="TrySplitAroundGlobal"/>), and a model-sized copy per request is waste.
    /// </summary>
    /// <exception cref="SerializationException">As <see cref="FromBinary"/>.</exception>
    public object FromParts(ReadOnlyMemory<byte> before, ReadOnlyMemory<byte> model, ReadOnlyMemory<byte> after, string manifest) =>
        Read(new ConcatenatedStream([before, model, after]), manifest);

    private object Read(Stream stream, string manifest)
    {
        var length = stream.Length;
        var name = manifest switch
        {
            RegisterClientManifest => nameof(RegisterClient),
            ClientRegisteredManifest => nameof(ClientRegistered),
            FitRequestManifest => nameof(FitRequest),
            FitResultManifest => nameof(FitResult),
            EvaluateRequestManifest => nameof(EvaluateRequest),
            EvaluateResultManifest => nameof(EvaluateResult),
            ClientFailedManifest => nameof(ClientFailed),
            _ => throw new SerializationException($"FedActors protocol: unknown manifest '{manifest}' ({length} bytes)"),
        };

        try
        {
            using var r = new BinaryReader(stream);
            var version = r.ReadByte();
            if (version != WireVersion)
            {
                throw new SerializationException(
                    $"FedActors protocol: {name} is of wire version {version}, but this node speaks version {WireVersion}: run the same FedActors version on every node");
            }

            object message = manifest switch
            {
                RegisterClientManifest => new RegisterClient(ReadClientId(r)),
                ClientRegisteredManifest => new ClientRegistered(ReadClientId(r)),
                FitRequestManifest => new FitRequest(
                    new RoundNumber(r.ReadInt32()), r.ReadInt32(), ReadParameters(r), ReadFitConfig(r), r.ReadInt32(), ReadTensorMap(r), ReadTimeout(r)),
                FitResultManifest => new FitResult(
                    ReadClientId(r), new RoundNumber(r.ReadInt32()), r.ReadInt32(), ReadParameters(r), r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), ReadTensorMap(r), ReadScalarMap(r, "metrics count")),
                EvaluateRequestManifest => new EvaluateRequest(new RoundNumber(r.ReadInt32()), r.ReadInt32(), ReadParameters(r), ReadTimeout(r)),
                EvaluateResultManifest => new EvaluateResult(ReadClientId(r), new RoundNumber(r.ReadInt32()), r.ReadInt32(), r.ReadInt32(), r.ReadDouble(), r.ReadDouble()),
                _ => new ClientFailed(ReadClientId(r), new RoundNumber(r.ReadInt32()), r.ReadInt32(), r.ReadString(), r.ReadString(), r.ReadBoolean()),
            };
            if (r.BaseStream.Position != length)
            {
                throw new SerializationException(
                    $"FedActors protocol: {name} payload has {length - r.BaseStream.Position} unexpected trailing bytes");
            }

            return message;
        }
        catch (EndOfStreamException)
        {
            throw new SerializationException($"FedActors protocol: {name} payload is truncated ({length} bytes)");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException)
        {
            throw new SerializationException($"FedActors protocol: {name} payload is malformed: {e.Message}", e);
        }
    }

    /// <summary>
    /// A request that carries the global model, as the three parts of its payload: the bytes
    /// before the model, the model, and the bytes after it, whose concatenation
    /// (<paramref name="before"/>, <see cref="EncodeParameters"/> of <paramref name="global"/>,
    /// <paramref name="after"/>) is exactly <see cref="ToBinary"/>'s. A layer that sends one model to
    /// many clients encodes the model once per round and only the small parts per recipient.
    /// </summary>
    /// <returns>False for a message that carries no global model.</returns>
    public static bool TrySplitAroundGlobal(object message, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Parameters? global, out byte[] before, out byte[] after)
    {
        (global, before, after) = message switch
        {
            FitRequest m => (m.Global, Encode(w => WriteRequestHead(w, m.Round, m.Attempt), versioned: true), Encode(w => WriteFitRequestTail(w, m), versioned: false)),
            EvaluateRequest m => (m.Global, Encode(w => WriteRequestHead(w, m.Round, m.Attempt), versioned: true), Encode(w => w.Write(m.Timeout.Ticks), versioned: false)),
            _ => ((Parameters?)null, Array.Empty<byte>(), Array.Empty<byte>()),
        };
        return global is not null;
    }

    /// <summary>Parameters as they appear inside a payload: names and shapes, then the raw float32 values.</summary>
    public static byte[] EncodeParameters(Parameters parameters) => Encode(w => WriteParameters(w, parameters));

    private static byte[] Encode(Action<BinaryWriter> write, bool versioned) => Encode(w =>
    {
        if (versioned)
        {
            w.Write(WireVersion);
        }

        write(w);
    });

    private static void WriteRequestHead(BinaryWriter w, RoundNumber round, int attempt)
    {
        w.Write(round.Value);
        w.Write(attempt);
    }

    private static void WriteFitRequestTail(BinaryWriter w, FitRequest m)
    {
        WriteFitConfig(w, m.Config);
        w.Write(m.Seed);
        WriteTensorMap(w, m.Extras);
        w.Write(m.Timeout.Ticks);
    }

    private static ClientId ReadClientId(BinaryReader r) => new(r.ReadString());

    private static void WriteParameters(BinaryWriter w, Parameters p)
    {
        WriteLayout(w, p.Layout);
        w.Write(MemoryMarshal.AsBytes(p.Values));
    }

    private static Parameters ReadParameters(BinaryReader r)
    {
        var layout = ReadLayout(r);
        var remaining = r.BaseStream.Length - r.BaseStream.Position;
        if ((long)layout.TotalLength * sizeof(float) > remaining)
        {
            throw new EndOfStreamException();
        }

        // Pooled: an update that crossed the wire goes back to the pool once the coordinator has aggregated it.
        var values = ParameterBufferPool.Shared.Rent(layout.TotalLength);
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return Parameters.WrapPooled(layout, values, ParameterBufferPool.Shared);
    }

    /// <summary>Writes a layout's tensor names and shapes, as parameters do before their values; for the layers that describe a model on the wire.</summary>
    public static void WriteLayout(BinaryWriter w, ParameterLayout layout)
    {
        var tensors = layout.Tensors;
        w.Write(tensors.Length);
        foreach (var t in tensors)
        {
            w.Write(t.Name);
            w.Write(t.Shape.Length);
            foreach (var d in t.Shape)
            {
                w.Write(d);
            }
        }
    }

    /// <summary>Reads what <see cref="WriteLayout"/> wrote, within the same bounds as parameters.</summary>
    /// <exception cref="EndOfStreamException">The bytes end before the layout does.</exception>
    /// <exception cref="InvalidDataException">A count is out of bounds.</exception>
    /// <exception cref="ArgumentException">The layout is inconsistent (a duplicate name, a negative dimension).</exception>
    public static ParameterLayout ReadLayout(BinaryReader r)
    {
        var count = ReadCount(r, MaxTensors, "tensor count");
        var specs = new TensorSpec[count];
        for (var i = 0; i < count; i++)
        {
            var tensorName = r.ReadString();
            var rank = ReadCount(r, MaxRank, $"rank of tensor '{tensorName}'");
            var shape = ImmutableArray.CreateBuilder<int>(rank);
            for (var d = 0; d < rank; d++)
            {
                shape.Add(r.ReadInt32());
            }

            specs[i] = new TensorSpec(tensorName, shape.MoveToImmutable());
        }

        return new ParameterLayout(specs);
    }

    private static void WriteFitConfig(BinaryWriter w, FitConfig c)
    {
        w.Write(c.LocalEpochs);
        w.Write(c.BatchSize);
        w.Write(c.LearningRate);
        w.Write(c.Momentum);
        w.Write(c.WeightDecay);
        WriteScalarMap(w, c.Hyperparameters);
    }

    private static FitConfig ReadFitConfig(BinaryReader r)
    {
        int epochs = r.ReadInt32(), batch = r.ReadInt32();
        float lr = r.ReadSingle(), momentum = r.ReadSingle(), decay = r.ReadSingle();
        return new FitConfig(epochs, batch, lr, momentum, decay, ReadScalarMap(r, "hyperparameter count"));
    }

    private static void WriteScalarMap(BinaryWriter w, ImmutableSortedDictionary<string, double> map)
    {
        w.Write(map.Count);
        foreach (var (key, value) in map)
        {
            w.Write(key);
            w.Write(value);
        }
    }

    private static ImmutableSortedDictionary<string, double> ReadScalarMap(BinaryReader r, string what)
    {
        var count = ReadCount(r, MaxMapEntries, what);
        var map = ImmutableSortedDictionary.CreateBuilder<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            map.Add(r.ReadString(), r.ReadDouble());
        }

        return map.ToImmutable();
    }

    private static TimeSpan ReadTimeout(BinaryReader r)
    {
        var ticks = r.ReadInt64();
        return ticks > 0 ? TimeSpan.FromTicks(ticks) : throw new InvalidDataException($"timeout is {ticks} ticks, not positive");
    }

    private static void WriteTensorMap(BinaryWriter w, ImmutableSortedDictionary<string, Parameters> map)
    {
        w.Write(map.Count);
        foreach (var (key, value) in map)
        {
            w.Write(key);
            WriteParameters(w, value);
        }
    }

    private static ImmutableSortedDictionary<string, Parameters> ReadTensorMap(BinaryReader r)
    {
        var count = ReadCount(r, MaxMapEntries, "extras count");
        var map = ImmutableSortedDictionary.CreateBuilder<string, Parameters>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            map.Add(r.ReadString(), ReadParameters(r));
        }

        return map.ToImmutable();
    }

    private static int ReadCount(BinaryReader r, int max, string what)
    {
        var count = r.ReadInt32();
        return count >= 0 && count <= max
            ? count
            : throw new InvalidDataException($"{what} is {count}, outside 0..{max}");
    }

    /// <summary>A stream that only counts what is written to it.</summary>
    private sealed class ByteCounter : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void WriteByte(byte value) => _length++;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
