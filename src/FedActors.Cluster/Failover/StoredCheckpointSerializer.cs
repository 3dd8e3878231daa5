using System.Buffers.Binary;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace FedActors.Cluster.Failover;

/// <summary>
/// The journal's binary form of a <see cref="StoredCheckpoint"/>: a format byte, the round
/// (int32, little-endian), then the archive as it is. Never JSON: a model-sized archive would
/// become base64 in a string. A <see cref="StoredPrivacySpent"/> is its record's bytes as they are
/// (they carry their own format and hash).
/// </summary>
public sealed class StoredCheckpointSerializer : SerializerWithStringManifest
{
    internal const int SerializerId = 473;
    private const string Manifest1 = "SC";
    private const string PrivacySpentManifest = "SP";
    private const byte Format = 1;
    private const int Header = 5;

    /// <summary>Creates the serializer; Akka calls this from the binding in reference.cluster.conf.</summary>
    public StoredCheckpointSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        StoredCheckpoint => Manifest1,
        StoredPrivacySpent => PrivacySpentManifest,
        _ => throw new ArgumentException($"{nameof(StoredCheckpointSerializer)} cannot serialize {o.GetType()}", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        if (obj is StoredPrivacySpent spent)
        {
            return spent.Record;
        }

        var stored = obj as StoredCheckpoint ?? throw new ArgumentException($"{nameof(StoredCheckpointSerializer)} cannot serialize {obj.GetType()}", nameof(obj));
        var bytes = new byte[Header + stored.Archive.Length];
        bytes[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(1), stored.Round);
        stored.Archive.CopyTo(bytes, Header);
        return bytes;
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (manifest == PrivacySpentManifest)
        {
            return new StoredPrivacySpent(bytes);
        }

        if (manifest != Manifest1)
        {
            throw new SerializationException($"a stored checkpoint has manifest '{manifest}'; this FedActors reads '{Manifest1}'");
        }

        if (bytes.Length < Header || bytes[0] != Format)
        {
            throw new SerializationException(bytes.Length < Header
                ? $"a stored checkpoint of {bytes.Length} bytes is shorter than its {Header}-byte header"
                : $"a stored checkpoint has format {bytes[0]}; this FedActors reads format {Format}");
        }

        return new StoredCheckpoint(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(1)), bytes[Header..]);
    }
}
