using FedActors.Cli.Output;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

public sealed class MetricsPlotTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Write_WhenGivenRounds_WritesANonEmptyPng()
    {
        // given
        var path = Path.Combine(_folder.Path, "metrics.png");

        // when
        MetricsPlot.Write(Rounds.History(10), "test plot", path);

        // then
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"metrics.png has only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
    }
}
