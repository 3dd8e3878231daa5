using FedActors.Cli.Output;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

public sealed class OutputFolderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void WriteAtomically_WhenWritingFails_LeavesNoFolderAndNoTemporaryFiles()
    {
        // given
        var target = Path.Combine(_folder.Path, "out");

        // when
        var e = Record.Exception(() => OutputFolder.WriteAtomically(target, temp =>
        {
            File.WriteAllText(Path.Combine(temp, "metrics.json"), "{}");
            throw new IOException("disk full");
        }));

        // then
        Assert.IsType<IOException>(e);
        Assert.Empty(_folder.Entries());
    }

    [Fact]
    public void WriteAtomically_WhenFolderExists_ReplacesItsFilesAndKeepsOthers()
    {
        // given
        var target = Path.Combine(_folder.Path, "out");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "metrics.csv"), "old");
        File.WriteAllText(Path.Combine(target, "notes.txt"), "mine");

        // when
        var files = OutputFolder.WriteAtomically(target, temp => File.WriteAllText(Path.Combine(temp, "metrics.csv"), "new"));

        // then
        Assert.Equal([Path.Combine(target, "metrics.csv")], files);
        Assert.Equal("new", File.ReadAllText(Path.Combine(target, "metrics.csv")));
        Assert.Equal(["out", "out/metrics.csv", "out/notes.txt"], _folder.Entries());
    }
}
