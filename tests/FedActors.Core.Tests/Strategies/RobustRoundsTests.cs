using System.Collections.Immutable;
using Akka.Configuration;
using FedActors.Core.Configuration;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Strategies;

/// <summary>
/// The robust strategies in rounds run by the coordinator, against scripted clients (TestProbes)
/// of which some attack, and below their minimum of valid updates.
/// </summary>
public sealed class RobustRoundsTests : CoordinatorTestKit
{
    private static readonly ParameterLayout Layout = new([new TensorSpec("w", ImmutableArray.Create(20, 25)), new TensorSpec("b", ImmutableArray.Create(12))]);

    public RobustRoundsTests()
        : base(TestConfigs.VirtualTime())
    {
    }

    [Theory]
    [InlineData("name = fedmedian", 10, "sign-flip")]
    [InlineData("name = fedmedian", 10, "scale")]
    [InlineData("name = trimmed-mean, trimmed-mean.beta = 0.2", 10, "sign-flip")]
    [InlineData("name = trimmed-mean, trimmed-mean.beta = 0.2", 10, "scale")]
    [InlineData("name = krum, krum.f = 2", 10, "sign-flip")]
    [InlineData("name = krum, krum.f = 2", 10, "scale")]
    [InlineData("name = bulyan, bulyan.f = 2", 11, "sign-flip")]
    [InlineData("name = bulyan, bulyan.f = 2", 11, "scale")]
    public void Round_WhenTwoClientsAttack_EndsLessThanHalfAsFarFromTheHonestMeanAsFedAvg(string strategy, int clients, string attack)
    {
        // given clients whose honest updates are seeded noise (sd 0.05) around a common target w_global + t, t in [-1, 1]^d,
        // with random sample counts, of which c03 and c07 send delta -> -delta (sign-flip) or delta -> 100 * delta (scale)
        var random = new Random(17);
        var global = Values(_ => Gaussian(random));
        var target = Values(j => global[j] + ((2 * (float)random.NextDouble()) - 1));
        var ids = Enumerable.Range(0, clients).Select(k => $"c{k:D2}").ToArray();
        var honest = ids.Select(_ => Parameters.Wrap(Layout, Values(j => target[j] + (0.05f * Gaussian(random))))).ToArray();
        var samples = ids.Select(_ => random.Next(50, 151)).ToArray();
        var attackers = new HashSet<int> { 3, 7 };
        var factor = attack == "sign-flip" ? -1f : 100f;
        var sent = honest.Select((w, k) => attackers.Contains(k) ? Parameters.Wrap(Layout, Values(j => global[j] + (factor * (w.Values[j] - global[j])))) : w).ToArray();
        var (coordinator, listener) = StartCoordinator(
            Settings() with { MinAvailableClients = clients, MinFitClients = clients },
            initial: Parameters.Wrap(Layout, global),
            strategy: FromConfig(strategy));
        var probes = RegisterClients(coordinator, ids);

        // when every client answers
        for (var k = 0; k < clients; k++)
        {
            Answer(probes[k], ids[k], sent[k], samples[k]);
        }

        // then the robust model is less than half as far from the honest clients' FedAvg as the attacked FedAvg is
        Assert.Equal(clients, listener.ExpectMsg<RoundCompleted>().Record.Answered.Length);
        var final = listener.ExpectMsg<RunCompleted>().Final;
        var honestMean = NaiveRobustRules.WeightedMean([.. honest.Select((w, k) => (w, samples[k])).Where((_, k) => !attackers.Contains(k))]);
        var attackedMean = NaiveRobustRules.WeightedMean([.. sent.Select((w, k) => (w, samples[k]))]);
        var robustError = NaiveRobustRules.Distance(final.Values, honestMean);
        var fedAvgError = NaiveRobustRules.Distance(attackedMean, honestMean);
        Assert.True(robustError < 0.5 * fedAvgError, $"{strategy} under {attack}: {robustError:G4} from the honest mean, attacked FedAvg {fedAvgError:G4}");
    }

    [Theory]
    [InlineData("name = krum", 5, "krum", "n > 2f + 2 = 4 updates with f = 1 ('fedactors.strategy.krum.f')")]
    [InlineData("name = bulyan", 7, "bulyan", "n >= 4f + 3 = 7 updates with f = 1 ('fedactors.strategy.bulyan.f')")]
    [InlineData("name = norm-bounding, norm-bounding.inner = krum", 5, "norm-bounding(krum)", "n > 2f + 2 = 4 updates")]
    public void Round_WhenValidUpdatesFallBelowTheStrategysMinimum_FailsWithItsRule(string strategy, int clients, string name, string rule)
    {
        // given exactly the strategy's minimum of clients (min-fit-clients 2), of which c00 sends a NaN
        var (coordinator, listener) = StartCoordinator(
            Settings() with { MinAvailableClients = clients },
            strategy: FromConfig(strategy));
        var ids = Enumerable.Range(0, clients).Select(k => $"c{k:D2}").ToArray();
        var probes = RegisterClients(coordinator, ids);

        // when they answer
        Answer(probes[0], ids[0], TestParameters.Of(1, float.NaN, 1, 1, 1, 1));
        for (var k = 1; k < clients; k++)
        {
            Answer(probes[k], ids[k], TestParameters.Filled(k));
        }

        // then the attempt fails with the strategy's rule as the reason, and with no retries left the run does
        var failure = listener.ExpectMsg<AttemptFailed>().Record.Failure;
        Assert.Contains($"got {clients - 1} valid updates, fewer than strategy {name} needs: {rule}", failure);
        Assert.Contains(rule, listener.ExpectMsg<RunFailed>().Reason);
    }

    // The strategy the catalog builds from `settings` inside fedactors.strategy { }.
    private static IStrategy FromConfig(string settings) =>
        StrategyCatalog.FromConfig(FedActorsConfig.Load(ConfigurationFactory.ParseString($"fedactors.strategy {{ {settings} }}")));

    private static float[] Values(Func<int, float> value) => [.. Enumerable.Range(0, Layout.TotalLength).Select(value)];

    // A standard normal draw (Box-Muller).
    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
