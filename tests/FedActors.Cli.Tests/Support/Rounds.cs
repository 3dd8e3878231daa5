using System.Collections.Immutable;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;

namespace FedActors.Cli.Tests.Support;

/// <summary>Hand-made round records.</summary>
internal static class Rounds
{
    public static ClientId Client(int i) => new($"client-{i:D2}");

    /// <summary>Round <paramref name="round"/>: clients 0 and 1 asked, 0 answered, 1 timed out.</summary>
    public static RoundRecord WithOneDrop(int round, double testAccuracy, double testLoss) => new(
        new RoundNumber(round),
        Attempt: 1,
        Registered: 10,
        Asked: [Client(0), Client(1)],
        Answered: [Client(0)],
        Dropped: [new ClientDrop(Client(1), "fit", DropReason.TimedOut, "no reply within 120s")],
        TrainLoss: testLoss + 0.1,
        TrainAccuracy: testAccuracy - 0.05,
        TestLoss: testLoss,
        TestAccuracy: testAccuracy,
        Federated: null,
        Metrics: ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal),
        Phases: [],
        Failure: null,
        Stragglers: [],
        new RoundTimings(TimeSpan.FromSeconds(1.5), TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(250), TimeSpan.Zero, TimeSpan.FromSeconds(1.75)));

    /// <summary>Round 0: the initial model's evaluation only.</summary>
    public static RoundRecord Initial(double testAccuracy, double testLoss) => new(
        RoundNumber.Initial, 1, 10, [], [], [], null, null, testLoss, testAccuracy, null, ImmutableSortedDictionary.Create<string, double>(StringComparer.Ordinal), [], null, [], RoundTimings.Zero);

    /// <summary>Round 0 and <paramref name="count"/> rounds whose accuracy climbs from 0.5 by 0.1.</summary>
    public static ImmutableArray<RoundRecord> History(int count) =>
        [Initial(0.1, 2.3), .. Enumerable.Range(1, count).Select(i => WithOneDrop(i, 0.5 + (0.1 * (i - 1)), 1.0 / i))];
}
