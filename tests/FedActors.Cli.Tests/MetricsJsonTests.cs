using FedActors.Core.Metrics;
using FedActors.Cli.Configuration;
using System.Text.Json;
using System.Text.Json.Nodes;
using FedActors.Cli.Output;
using FedActors.Cli.Tests.Support;
using FedActors.Core.Configuration;

namespace FedActors.Cli.Tests;

public sealed class MetricsJsonTests
{
    [Fact]
    public void Render_WhenGivenRounds_WritesConfigHistoryAndTotals()
    {
        // given
        var report = Report(Rounds.History(3));

        // when
        using var json = JsonDocument.Parse(MetricsJson.Render(report));

        // then
        var root = json.RootElement;
        Assert.Equal(5, root.GetProperty("config").GetProperty("run").GetProperty("rounds").GetInt32());
        Assert.Equal("iid", root.GetProperty("config").GetProperty("simulation").GetProperty("partitioning").GetProperty("scheme").GetString());
        Assert.Equal("--rounds 3", root.GetProperty("configSources").GetProperty("commandLine")[0].GetString());

        var history = root.GetProperty("history");
        Assert.Equal(4, history.GetArrayLength());
        var round2 = history[2];
        Assert.Equal(2, round2.GetProperty("round").GetInt32());
        Assert.Equal(1, round2.GetProperty("attempt").GetInt32());
        Assert.Equal(10, round2.GetProperty("registered").GetInt32());
        Assert.Equal(["client-00", "client-01"], round2.GetProperty("asked").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["client-00"], round2.GetProperty("answered").EnumerateArray().Select(e => e.GetString()));
        var drop = Assert.Single(round2.GetProperty("dropped").EnumerateArray());
        Assert.Equal("client-01", drop.GetProperty("client").GetString());
        Assert.Equal("TimedOut", drop.GetProperty("reason").GetString());
        Assert.Equal("no reply within 120s", drop.GetProperty("detail").GetString());
        Assert.Equal(0.6, round2.GetProperty("testAccuracy").GetDouble(), 12);
        Assert.Equal(0.5, round2.GetProperty("testLoss").GetDouble(), 12);
        Assert.Equal(1.75, round2.GetProperty("timings").GetProperty("totalSeconds").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, history[0].GetProperty("trainLoss").ValueKind);

        var totals = root.GetProperty("totals");
        Assert.Equal(3, totals.GetProperty("rounds").GetInt32());
        Assert.Equal(6, totals.GetProperty("asked").GetInt32());
        Assert.Equal(3, totals.GetProperty("answered").GetInt32());
        Assert.Equal(3, totals.GetProperty("dropped").GetInt32());
        Assert.Equal(3, totals.GetProperty("droppedByReason").GetProperty("TimedOut").GetInt32());
        Assert.Equal(0.7, totals.GetProperty("finalTestAccuracy").GetDouble(), 12);
        Assert.Equal(10_000, totals.GetProperty("testSamples").GetInt32());
        Assert.Equal(30, totals.GetProperty("trainingSeconds").GetDouble(), 12);
    }

    [Fact]
    public void Render_WhenALossIsNotFinite_WritesNull()
    {
        // given
        var diverged = Rounds.WithOneDrop(1, 0.1, double.NaN) with { TrainLoss = double.PositiveInfinity };

        // when
        var json = JsonNode.Parse(MetricsJson.Render(Report([diverged])))!;

        // then
        Assert.Null(json["history"]![0]!["testLoss"]);
        Assert.Null(json["history"]![0]!["trainLoss"]);
    }

    [Fact]
    public void Render_WhenARoundWasRetried_KeepsTheFailedAttemptAndItsDropsAndCountsBothAttempts()
    {
        // given round 1 failed once (both clients timed out) and then completed
        var failed = Rounds.WithOneDrop(1, 0.5, 1) with
        {
            Answered = [],
            Dropped = [new(Rounds.Client(0), "fit", DropReason.TimedOut, "late"), new(Rounds.Client(1), "fit", DropReason.Failed, "disk full")],
            TestAccuracy = null,
            TestLoss = null,
            Failure = "round 1 (attempt 1) got 0 valid updates",
        };
        var retried = Rounds.WithOneDrop(1, 0.6, 0.9) with { Attempt = 2 };

        // when
        var json = JsonNode.Parse(MetricsJson.Render(Report([Rounds.Initial(0.1, 2.3), failed, retried])))!;

        // then the failed attempt is in the history with its reason and drops, and the totals count it
        Assert.Equal("round 1 (attempt 1) got 0 valid updates", (string?)json["history"]![1]!["failure"]);
        Assert.Equal("fit", (string?)json["history"]![1]!["dropped"]![1]!["phase"]);
        Assert.Null(json["history"]![2]!["failure"]);
        var totals = json["totals"]!;
        Assert.Equal((1, 2, 3), ((int)totals["rounds"]!, (int)totals["attempts"]!, (int)totals["dropped"]!));
        Assert.Equal(1, (int)totals["droppedByReason"]!["Failed"]!);
        Assert.Equal(0.6, (double)totals["finalTestAccuracy"]!);
    }

    internal static RunReport Report(System.Collections.Immutable.ImmutableArray<FedActors.Core.Metrics.RoundRecord> history) => new(
        HoconJson.ToJson(SimulationDefaults.Load(Akka.Configuration.Config.Empty), "fedactors"),
        ConfigFile: null,
        CommandLine: ["--rounds 3"],
        history,
        TestSamples: 10_000,
        Preparation: TimeSpan.FromSeconds(2),
        Training: TimeSpan.FromSeconds(30));
}
