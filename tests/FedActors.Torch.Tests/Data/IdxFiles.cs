using System.Buffers.Binary;
using System.IO.Compression;

namespace FedActors.Torch.Tests.Data;

/// <summary>Writes small IDX files for the reader's tests.</summary>
internal static class IdxFiles
{
    public static void WriteImages(string path, byte[] pixels, int count, int height, int width, bool gzip) =>
        Write(path, 0x00000803, [count, height, width], pixels, gzip);

    public static void WriteLabels(string path, byte[] labels, bool gzip) =>
        Write(path, 0x00000801, [labels.Length], labels, gzip);

    public static byte[] Bytes(int magic, int[] dims, byte[] payload)
    {
        var bytes = new byte[4 + (4 * dims.Length) + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + (4 * i)), dims[i]);
        }

        payload.CopyTo(bytes, 4 + (4 * dims.Length));
        return bytes;
    }

    private static void Write(string path, int magic, int[] dims, byte[] payload, bool gzip)
    {
        var bytes = Bytes(magic, dims, payload);
        if (!gzip)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }

        using var file = File.Create(path);
        using var zip = new GZipStream(file, CompressionLevel.Fastest);
        zip.Write(bytes);
    }
}
