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

    [Fact]
    public void Render_WhenRoundsCarryStrategyMetrics_AddsOneColumnPerMetricName()
    {
        // given round 0 without metrics and two rounds with DP-FedAvg's (round 2 also with FedAvgM's)
        var history = Rounds.History(2);
        history = history
            .SetItem(1, history[1] with { Metrics = history[1].Metrics.Add("dp.epsilon", 1.5).Add("dp.clip", 0.3) })
            .SetItem(2, history[2] with { Metrics = history[2].Metrics.Add("dp.epsilon", 2.25).Add("dp.clip", 0.3).Add("velocity-norm", 4) });

        // when
        var lines = MetricsCsv.Render(history).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        // then the metrics follow the fixed columns by name, empty where a round has none
        Assert.Equal(MetricsCsv.Header + ",dp.clip,dp.epsilon,velocity-norm", lines[0]);
        Assert.EndsWith(",,,", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",0.3,1.5,", lines[2], StringComparison.Ordinal);
        Assert.EndsWith(",0.3,2.25,4", lines[3], StringComparison.Ordinal);
    }
}
