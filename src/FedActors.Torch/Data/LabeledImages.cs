namespace FedActors.Torch.Data;

/// <summary>
/// Greyscale images with one class label each, held as one contiguous float buffer
/// (image after image, row after row) so that a batch is gathered by copying whole rows.
/// Pixels are scaled to [0, 1] (byte / 255) and not mean/std normalised: the FedAvg paper's
/// models train well on [0, 1] inputs and the values stay independent of any data split.
/// </summary>
public sealed class LabeledImages
{
    private readonly float[] _pixels;
    private readonly byte[] _labels;

    /// <summary>Wraps <paramref name="pixels"/> and <paramref name="labels"/> without copying; the caller hands both over.</summary>
    /// <param name="pixels">Count x height x width values in [0, 1].</param>
    /// <param name="labels">One class label per image.</param>
    /// <param name="height">Rows per image (at least 1).</param>
    /// <param name="width">Columns per image (at least 1).</param>
    public LabeledImages(float[] pixels, byte[] labels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if ((long)labels.Length * height * width != pixels.Length)
        {
            throw new ArgumentException(
                $"{labels.Length} labels of {height}x{width} images need {(long)labels.Length * height * width} pixels, not {pixels.Length}",
                nameof(pixels));
        }

        _pixels = pixels;
        _labels = labels;
        Height = height;
        Width = width;
    }

    /// <summary>The same images with every label mapped by <paramref name="map"/> (e.g. a label-flipping attack); the pixels are shared, not copied.</summary>
    public LabeledImages WithLabels(Func<byte, byte> map) => new(_pixels, [.. _labels.Select(map)], Height, Width);

    /// <summary>The number of images.</summary>
    public int Count => _labels.Length;

    /// <summary>Rows per image.</summary>
    public int Height { get; }

    /// <summary>Columns per image.</summary>
    public int Width { get; }

    /// <summary>Values per image: <see cref="Height"/> x <see cref="Width"/>.</summary>
    public int PixelsPerImage => Height * Width;

    /// <summary>The class label of every image, in image order.</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>All pixels, image after image.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>The pixels of image <paramref name="index"/>, row after row.</summary>
    public ReadOnlySpan<float> Image(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _pixels.AsSpan(index * PixelsPerImage, PixelsPerImage);
    }
}
