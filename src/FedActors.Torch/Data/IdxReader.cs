using System.Buffers.Binary;
using System.IO.Compression;

namespace FedActors.Torch.Data;

/// <summary>
/// Reads MNIST-format IDX files (http://yann.lecun.com/exdb/mnist/): a big-endian header with
/// a magic number (0x0000 08 RR: unsigned bytes, RR dimensions) and the dimensions, then the
/// bytes. Gzip is recognised by its magic bytes 1f 8b, not by the file name, so a renamed file
/// still reads. Every check names the file, because a wrong or truncated download is the
/// usual failure.
/// </summary>
internal static class IdxReader
{
    /// <summary>Magic number of an IDX file of unsigned-byte images: three dimensions.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned-byte labels: one dimension.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>The Debian package that installs the Fashion-MNIST files, for error messages.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>Reads the first <paramref name="limit"/> images (0 = all), scaled to [0, 1].</summary>
    public static (float[] Pixels, int Count, int Height, int Width) ReadImages(string path, int limit)
    {
        var data = ReadAllBytes(path);
        var dims = ParseHeader(data, path, ImagesMagic);
        var count = Limit(dims[0], limit);
        var pixels = new float[(long)count * dims[1] * dims[2]];
        var source = data.AsSpan(HeaderLength(dims), pixels.Length);

        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = source[i] / 255f;
        }

        return (pixels, count, dims[1], dims[2]);
    }

    /// <summary>Reads the first <paramref name="limit"/> labels (0 = all).</summary>
    public static byte[] ReadLabels(string path, int limit)
    {
        var data = ReadAllBytes(path);
        var dims = ParseHeader(data, path, LabelsMagic);
        return data.AsSpan(HeaderLength(dims), Limit(dims[0], limit)).ToArray();
    }

    private static int Limit(int available, int limit) => limit > 0 ? Math.Min(limit, available) : available;

    private static int HeaderLength(int[] dims) => 4 + (4 * dims.Length);

    private static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path))
        {
            throw new DatasetException(path, $"the file does not exist; the Debian package '{DebianPackage}' installs the Fashion-MNIST IDX files (apt-get install {DebianPackage})");
        }

        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException(path, $"the file cannot be read: {e.Message}", e);
        }

        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            return raw;
        }

        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var unpacked = new MemoryStream(raw.Length * 4);
            gzip.CopyTo(unpacked);
            return unpacked.ToArray();
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new DatasetException(path, $"the gzip data is corrupt or truncated: {e.Message}", e);
        }
    }

    private static int[] ParseHeader(ReadOnlySpan<byte> data, string path, int expectedMagic)
    {
        if (data.Length < 4)
        {
            throw new DatasetException(path, $"the file has {data.Length} bytes, too few for an IDX header");
        }

        var magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != expectedMagic)
        {
            throw new DatasetException(path, $"magic number 0x{magic:x8} where 0x{expectedMagic:x8} was expected; this is not an IDX file of {(expectedMagic == ImagesMagic ? "images" : "labels")}");
        }

        var rank = expectedMagic & 0xff;
        if (data.Length < 4 + (4 * rank))
        {
            throw new DatasetException(path, $"the file has {data.Length} bytes, too few for a header of {rank} dimensions");
        }

        var dims = new int[rank];
        long expectedLength = 4 + (4 * rank);
        long payload = 1;
        for (var i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(data[(4 + (4 * i))..]);
            if (dims[i] <= 0)
            {
                throw new DatasetException(path, $"dimension {i} is {dims[i]}; every dimension must be positive");
            }

            payload *= dims[i];
        }

        expectedLength += payload;
        if (data.Length != expectedLength)
        {
            var what = data.Length < expectedLength ? "truncated" : "longer than its header says";
            throw new DatasetException(path, $"the file is {what}: dimensions [{string.Join(", ", dims)}] need {expectedLength} bytes but it has {data.Length}");
        }

        return dims;
    }
}
