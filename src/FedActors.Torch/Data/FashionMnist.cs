namespace FedActors.Torch.Data;

/// <summary>
/// The Fashion-MNIST data set (Xiao, Rasul and Vollgraf 2017, arXiv:1708.07747): 60,000
/// training and 10,000 test images of 28x28 pixels in 10 classes, read from the four IDX
/// files on local disk. Nothing is ever downloaded: the Debian package
/// <c>dataset-fashion-mnist</c> installs the files under <see cref="DefaultDirectory"/>.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    private FashionMnist(LabeledImages train, LabeledImages test)
    {
        Train = train;
        Test = test;
    }

    /// <summary>The training images.</summary>
    public LabeledImages Train { get; }

    /// <summary>The test images.</summary>
    public LabeledImages Test { get; }

    /// <summary>
    /// Loads the four files (<c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>,
    /// <c>t10k-images-idx3-ubyte</c>, <c>t10k-labels-idx1-ubyte</c>, each raw or with a
    /// <c>.gz</c> suffix) from <paramref name="directory"/>.
    /// </summary>
    /// <param name="directory">The folder holding the files.</param>
    /// <param name="trainLimit">Keep only the first N training samples; 0 keeps all.</param>
    /// <param name="testLimit">Keep only the first N test samples; 0 keeps all.</param>
    /// <exception cref="DatasetException">A file is missing, corrupt, or images and labels disagree.</exception>
    public static FashionMnist Load(string directory, int trainLimit = 0, int testLimit = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(trainLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(testLimit);
        return new FashionMnist(
            LoadSplit(directory, "train", trainLimit),
            LoadSplit(directory, "t10k", testLimit));
    }

    private static LabeledImages LoadSplit(string directory, string prefix, int limit)
    {
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        var labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var images = IdxReader.ReadImages(imagesPath, limit);
        var labels = IdxReader.ReadLabels(labelsPath, limit);
        if (images.Count != labels.Length)
        {
            throw new DatasetException(labelsPath, $"holds {labels.Length} labels but {imagesPath} holds {images.Count} images");
        }

        return new LabeledImages(images.Pixels, labels, images.Height, images.Width);
    }

    // The raw file wins over the gzipped one when both exist: it is what someone unpacked on purpose.
    // When neither exists the .gz path is reported, as that is what the Debian package installs.
    private static string Find(string directory, string name)
    {
        var raw = Path.Combine(directory, name);
        return File.Exists(raw) ? raw : raw + ".gz";
    }
}
