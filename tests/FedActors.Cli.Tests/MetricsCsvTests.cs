using FedActors.Cli.Output;
using FedActors.Cli.Tests.Support;
using FedActors.Core.Metrics;

namespace FedActors.Cli.Tests;

public sealed class MetricsCsvTests
{
    [Fact]
    public void Render_WhenGivenRounds_WritesHeaderAndOneRowPerRound()
    {
        // given
        var history = Rounds.History(2);

        // when
        var lines = MetricsCsv.Render(history).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // then
        Assert.Equal(
            [
                MetricsCsv.Header,
                "0,1,10,0,0,0,,,,2.3,0.1,,,,,0,0,0,0,0",
                "1,1,10,2,1,1,client-01 TimedOut,1.1,0.45,1,0.5,,,,,1.5,0.002,0.25,0,1.75",
                "2,1,10,2,1,1,client-01 TimedOut,0.6,0.5499999999999999,0.5,0.6,,,,,1.5,0.002,0.25,0,1.75",
            ],
            lines);
    }

    [Fact]
    public void Render_WhenSeveralClientsDrop_QuotesNothingAndSeparatesWithSemicolons()
    {
        // given
        var record = Rounds.WithOneDrop(1, 0.5, 1) with
        {
            Dropped = [new ClientDrop(Rounds.Client(1), "fit", DropReason.Failed, "boom, twice"), new ClientDrop(Rounds.Client(2), "fit", DropReason.InvalidUpdate, "NaN")],
        };

        // when
        var row = MetricsCsv.Render([record]).Split('\n')[1];

        // then
        Assert.Contains(",client-01 Failed; client-02 InvalidUpdate,", row, StringComparison.Ordinal);
        Assert.Equal(MetricsCsv.Header.Split(',').Length, row.Split(',').Length);
    }
}
