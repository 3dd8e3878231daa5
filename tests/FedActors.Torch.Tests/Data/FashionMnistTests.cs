using FedActors.Torch.Data;

namespace FedActors.Torch.Tests.Data;

public sealed class FashionMnistTests
{
    private const int Height = 3;
    private const int Width = 2;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_WhenFilesAreSmallIdx_ReturnsTheirPixelsScaledAndLabels(bool gzip)
    {
        // given
        using var folder = new TempDirectory();
        var (trainPixels, trainLabels) = WriteSplit(folder, "train", 4, gzip);
        var (testPixels, testLabels) = WriteSplit(folder, "t10k", 2, gzip);

        // when
        var data = FashionMnist.Load(folder.Path);

        // then
        AssertImages(data.Train, trainPixels, trainLabels);
        AssertImages(data.Test, testPixels, testLabels);
    }

    [Fact]
    public void Load_WhenGzippedFileHasNoGzSuffix_DetectsGzipByMagicBytes()
    {
        // given
        using var folder = new TempDirectory();
        var (pixels, labels) = WriteSplit(folder, "train", 3, gzip: true);
        WriteSplit(folder, "t10k", 1, gzip: false);
        foreach (var name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte" })
        {
            File.Move(folder.File(name + ".gz"), folder.File(name));
        }

        // when
        var data = FashionMnist.Load(folder.Path);

        // then
        AssertImages(data.Train, pixels, labels);
    }

    [Fact]
    public void Load_WhenLimitsAreGiven_KeepsOnlyTheFirstSamples()
    {
        // given
        using var folder = new TempDirectory();
        var (pixels, labels) = WriteSplit(folder, "train", 5, gzip: true);
        WriteSplit(folder, "t10k", 4, gzip: true);

        // when
        var data = FashionMnist.Load(folder.Path, trainLimit: 2, testLimit: 3);

        // then
        Assert.Equal(2, data.Train.Count);
        Assert.Equal(3, data.Test.Count);
        AssertImages(data.Train, pixels[..(2 * Height * Width)], labels[..2]);
    }

    [Fact]
    public void Load_WhenAFileIsMissing_NamesThePathAndTheDebianPackage()
    {
        // given
        using var folder = new TempDirectory();
        WriteSplit(folder, "t10k", 1, gzip: true);

        // when
        var error = Assert.Throws<DatasetException>(() => FashionMnist.Load(folder.Path));

        // then
        Assert.Contains(folder.File("train-images-idx3-ubyte.gz"), error.Message);
        Assert.Contains("dataset-fashion-mnist", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Load_WhenImageFileIsTruncated_NamesThePath(bool gzip)
    {
        // given
        using var folder = new TempDirectory();
        WriteSplit(folder, "t10k", 1, gzip: false);
        var path = folder.File("train-images-idx3-ubyte" + (gzip ? ".gz" : string.Empty));
        IdxFiles.WriteLabels(folder.File("train-labels-idx1-ubyte"), [1, 2], gzip: false);
        IdxFiles.WriteImages(path, new byte[2 * Height * Width], 2, Height, Width, gzip);
        var written = File.ReadAllBytes(path);
        File.WriteAllBytes(path, written[..(written.Length / 2)]);

        // when
        var error = Assert.Throws<DatasetException>(() => FashionMnist.Load(folder.Path));

        // then
        Assert.Contains(path, error.Message);
        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void Load_WhenMagicNumberIsWrong_NamesThePathAndTheMagic()
    {
        // given
        using var folder = new TempDirectory();
        WriteSplit(folder, "t10k", 1, gzip: false);
        IdxFiles.WriteLabels(folder.File("train-labels-idx1-ubyte"), [1], gzip: false);
        var path = folder.File("train-images-idx3-ubyte");
        File.WriteAllBytes(path, IdxFiles.Bytes(0x00000801, [1, Height, Width], new byte[Height * Width]));

        // when
        var error = Assert.Throws<DatasetException>(() => FashionMnist.Load(folder.Path));

        // then
        Assert.Contains(path, error.Message);
        Assert.Contains("magic", error.Message);
    }

    [Fact]
    public void Load_WhenGzipDataIsCorrupt_NamesThePath()
    {
        // given
        using var folder = new TempDirectory();
        WriteSplit(folder, "t10k", 1, gzip: false);
        IdxFiles.WriteLabels(folder.File("train-labels-idx1-ubyte"), [1], gzip: false);
        var path = folder.File("train-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 8, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

        // when
        var error = Assert.Throws<DatasetException>(() => FashionMnist.Load(folder.Path));

        // then
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Load_WhenImageAndLabelCountsDiffer_NamesTheLabelFile()
    {
        // given
        using var folder = new TempDirectory();
        WriteSplit(folder, "t10k", 1, gzip: false);
        IdxFiles.WriteImages(folder.File("train-images-idx3-ubyte"), new byte[3 * Height * Width], 3, Height, Width, gzip: false);
        IdxFiles.WriteLabels(folder.File("train-labels-idx1-ubyte"), [1, 2], gzip: false);

        // when
        var error = Assert.Throws<DatasetException>(() => FashionMnist.Load(folder.Path));

        // then
        Assert.Contains(folder.File("train-labels-idx1-ubyte"), error.Message);
        Assert.Contains("2 labels", error.Message);
    }

    [Fact]
    public void Load_WhenRealFashionMnistIsInstalled_ReadsTenBalancedClassesOf28x28()
    {
        // given
        TestEnvironment.EnsureTorchInitialized();

        // when
        var data = TestEnvironment.FashionMnistSlice;

        // then
        Assert.Equal((2000, 1000, 28, 28), (data.Train.Count, data.Test.Count, data.Train.Height, data.Train.Width));
        Assert.Equal(10, data.Train.Labels.ToArray().Distinct().Count());
        Assert.InRange(data.Train.Pixels.ToArray().Max(), 0.99f, 1f);
        Assert.Equal(0f, data.Train.Pixels.ToArray().Min());
    }

    private static (byte[] Pixels, byte[] Labels) WriteSplit(TempDirectory folder, string prefix, int count, bool gzip)
    {
        var random = new Random(count);
        var pixels = new byte[count * Height * Width];
        random.NextBytes(pixels);
        pixels[0] = 255;
        var labels = Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray();
        var suffix = gzip ? ".gz" : string.Empty;
        IdxFiles.WriteImages(folder.File($"{prefix}-images-idx3-ubyte{suffix}"), pixels, count, Height, Width, gzip);
        IdxFiles.WriteLabels(folder.File($"{prefix}-labels-idx1-ubyte{suffix}"), labels, gzip);
        return (pixels, labels);
    }

    private static void AssertImages(LabeledImages images, byte[] pixels, byte[] labels)
    {
        Assert.Equal((labels.Length, Height, Width), (images.Count, images.Height, images.Width));
        Assert.Equal(labels, images.Labels.ToArray());
        Assert.Equal(pixels.Select(p => p / 255f), images.Pixels.ToArray());
        Assert.Equal(1f, images.Image(0)[0]);
    }
}
