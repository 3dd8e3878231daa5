using System.IO.Compression;

namespace FedActors.Core.Checkpoints;

/// <summary>
/// A checkpoint as one byte string: the files of a <see cref="CheckpointFolder"/> round folder
/// (models as safetensors, the history as JSON, the manifest with each file's SHA-256 and the
/// manifest's own hash) in a zip archive, stored without compression (float32 weights barely
/// compress). For stores that keep records rather than folders; reading checks every hash, as
/// the folder does.
/// </summary>
public static class CheckpointArchive
{
    /// <summary>The archive of <paramref name="checkpoint"/>.</summary>
    public static byte[] Write(Checkpoint checkpoint)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            CheckpointFolder.WriteFiles(checkpoint, name => zip.CreateEntry(name, CompressionLevel.NoCompression).Open());
        }

        return buffer.ToArray();
    }

    /// <summary>Reads an archive that <see cref="Write"/> made, checking every file against the manifest's SHA-256.</summary>
    /// <exception cref="InvalidDataException">The archive is not a zip, or a file is missing, truncated, altered or of another format.</exception>
    public static Checkpoint Read(byte[] archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        using var zip = new ZipArchive(new MemoryStream(archive, writable: false), ZipArchiveMode.Read);
        return CheckpointFolder.Read(name =>
        {
            if (zip.GetEntry(name) is not { } entry)
            {
                return null;
            }

            using var stream = entry.Open();
            using var bytes = new MemoryStream();
            stream.CopyTo(bytes);
            return bytes.ToArray();
        });
    }
}
