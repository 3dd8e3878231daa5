using System.Collections.Immutable;
using Akka.Actor;
using Akka.Serialization;
using Akka.TestKit;
using FedActors.Core.Client;
using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Privacy;

/// <summary>
/// A real <see cref="FederatedClient"/> with local DP on, and a TestProbe as its coordinator: what
/// crosses the wire (every message goes through the serializer, serialize-messages = on) is the
/// noised update only.
/// </summary>
public sealed class LocalDpClientTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Dimension = 20_000;
    private const float RawStep = 0.5f;

    private static readonly ParameterLayout Layout = new([new TensorSpec("w", ImmutableArray.Create(Dimension))]);

    private readonly ClientStateStore _store = new(1 << 20);

    public LocalDpClientTests()
        : base(TestConfigs.RealTime())
    {
    }

    [Fact]
    public void Fit_WithTinyNoise_SendsTheClippedUpdateOnlyAndNeverTheRawOne()
    {
        // given a client with C = 1 and almost no noise, whose trainer moves every weight by 0.5 (a delta of norm about 70)
        var (client, coordinator) = StartClient(Settings(clip: 1.0, noiseMultiplier: 1e-6), new KnownUpdateTrainer());

        // when the probe, as the coordinator, asks for a fit
        var result = Fit(client, coordinator, round: 1);

        // then the delta that arrived is the raw one's direction at norm C (to the noise and float rounding), and differs from the raw update everywhere
        var delta = Delta(result.Updated, Global());
        var norm = Math.Sqrt(delta.Sum(d => d * d));
        Assert.InRange(norm, 1.0 - 1e-3, 1.0 + 1e-3);
        Assert.All(delta, d => Assert.InRange(d, (1.0 / Math.Sqrt(Dimension)) - 1e-4, (1.0 / Math.Sqrt(Dimension)) + 1e-4));
        AssertNeverRaw(result.Updated);
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Fit_WithNoise_AddsNoiseOfStandardDeviationZTimesTwoC()
    {
        // given z = 0.5 and C = 1, so σ = z·2C = 1, with the seeded (non-private, repeatable) source
        var settings = Settings(clip: 1.0, noiseMultiplier: 0.5) with { SecureNoise = false };
        var (client, coordinator) = StartClient(settings, new KnownUpdateTrainer());

        // when the client fits
        var result = Fit(client, coordinator, round: 1);

        // then released − global − clipped delta, over 20,000 coordinates, has mean 0 and standard deviation 1:
        // the sample deviation's standard error is σ/√(2d) = 0.005, so ±0.03 is six of them (false failure
        // about 2e-9 for fresh noise) and the mean's is σ/√d = 0.007, so ±0.042 is six of them
        var clippedStep = 1.0 / Math.Sqrt(Dimension);
        var noise = Delta(result.Updated, Global()).Select(d => d - clippedStep).ToArray();
        var mean = noise.Average();
        var std = Math.Sqrt(noise.Sum(n => (n - mean) * (n - mean)) / (noise.Length - 1));
        Assert.InRange(mean, -0.042, 0.042);
        Assert.InRange(std, 1 - 0.03, 1 + 0.03);
        AssertNeverRaw(result.Updated);

        // and the seeded run is labelled non-private and reports no epsilon
        Assert.Equal(1.0, result.Metrics[LocalPrivacyLoss.MetricNonPrivate]);
        Assert.False(result.Metrics.ContainsKey(LocalPrivacyLoss.MetricRound));
    }

    [Fact]
    public void FitResult_OfALocalDpClient_RoundTripsThroughTheProtocolSerializerWithTheNoisedValues()
    {
        // given a noised fit result as the client sent it
        var (client, coordinator) = StartClient(Settings(clip: 1.0, noiseMultiplier: 1.0), new KnownUpdateTrainer());
        var result = Fit(client, coordinator, round: 1);

        // when it is serialized with the registered serializer and read back, as a remote node would
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(result);
        var back = (FitResult)Sys.Serialization.Deserialize(serializer.ToBinary(result), serializer.Identifier, serializer.Manifest(result));

        // then the protocol serializer carried it, and the bytes on the wire are the noised values, not the raw ones
        Assert.IsType<FedActors.Core.Serialization.ProtocolSerializer>(serializer);
        Assert.Equal(TestParameters.Bits(result.Updated), TestParameters.Bits(back.Updated));
        Assert.Equal(result.Metrics, back.Metrics);
        AssertNeverRaw(back.Updated);
    }

    [Fact]
    public void Fit_WhenTheTrainerReturnsStrategyExtras_IsRefusedAndNothingRawIsSent()
    {
        // given a trainer that returns a control-variate delta, as SCAFFOLD's client part does
        var (client, coordinator) = StartClient(Settings(clip: 1.0, noiseMultiplier: 1.0), new KnownUpdateTrainer(withExtras: true));

        // when it fits
        client.Tell(Request(round: 1), coordinator.Ref);

        // then the coordinator gets a failure naming local DP and the extras, and no update
        var failure = coordinator.ExpectMsg<ClientFailed>();
        Assert.Contains("fedactors.privacy.mode = local", failure.Reason);
        Assert.Contains("scaffold.control-delta", failure.Reason);
        Assert.False(failure.Cancelled);
        coordinator.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Fit_OverThreeRounds_ReportsThePerRoundEpsilonAndTheComposedOneGrowingAsTheRdpAccountant()
    {
        // given a client with z = 1 and secure noise
        var settings = Settings(clip: 1.0, noiseMultiplier: 1.0);
        var (client, coordinator) = StartClient(settings, new KnownUpdateTrainer());

        // when it fits three rounds
        var results = Enumerable.Range(1, 3).Select(r => Fit(client, coordinator, r)).ToList();

        // then each round's epsilon is one Gaussian release's, and the composed one is T releases' by RDP with q = 1
        foreach (var (result, t) in results.Select((r, i) => (r, i + 1)))
        {
            Assert.Equal(RdpAccountant.Empty.Compose(1.0, 1.0).GetPrivacySpent(1e-5).Epsilon, result.Metrics[LocalPrivacyLoss.MetricRound], 12);
            Assert.Equal(RdpAccountant.Empty.Compose(1.0, 1.0, t).GetPrivacySpent(1e-5).Epsilon, result.Metrics[LocalPrivacyLoss.MetricComposed], 12);
        }

        var composed = results.Select(r => r.Metrics[LocalPrivacyLoss.MetricComposed]).ToList();
        Assert.True(composed[0] < composed[1] && composed[1] < composed[2], string.Join(", ", composed));
        Assert.Equal(3, _store.Releases.Count(new ClientId("local")));
    }

    [Fact]
    public void Fit_AfterTheClientActorIsReplaced_ComposesOverEveryEarlierRelease()
    {
        // given a client that released two updates, then stopped, and a new client actor with the same id and store
        var settings = Settings(clip: 1.0, noiseMultiplier: 1.0);
        var (first, coordinator) = StartClient(settings, new KnownUpdateTrainer());
        Fit(first, coordinator, 1);
        Fit(first, coordinator, 2);
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        var (second, coordinator2) = StartClient(settings, new KnownUpdateTrainer());

        // when the new actor fits round 3
        var result = Fit(second, coordinator2, 3);

        // then its composed epsilon is three releases'
        Assert.Equal(RdpAccountant.Empty.Compose(1.0, 1.0, 3).GetPrivacySpent(1e-5).Epsilon, result.Metrics[LocalPrivacyLoss.MetricComposed], 12);
    }

    [Fact]
    public void Fit_AfterARetriedRound_CountsBothAttemptsReleases()
    {
        // given a client that answered attempt 1 of round 1
        var (client, coordinator) = StartClient(Settings(clip: 1.0, noiseMultiplier: 1.0), new KnownUpdateTrainer());
        Fit(client, coordinator, 1);

        // when round 1 is retried (attempt 2), as after a failed attempt
        client.Tell(Request(round: 1) with { Attempt = 2 }, coordinator.Ref);
        var retried = coordinator.ExpectMsg<FitResult>();

        // then both releases count: the update of attempt 1 left the node whatever the server did with it
        Assert.Equal(RdpAccountant.Empty.Compose(1.0, 1.0, 2).GetPrivacySpent(1e-5).Epsilon, retried.Metrics[LocalPrivacyLoss.MetricComposed], 12);
    }

    [Fact]
    public void ReleaseLedger_OfAPersistentStore_KeepsTheCountWhenTheNodeRestarts()
    {
        // given a node's persistent store in which a client released two updates
        using var folder = new TempFolder();
        var id = new ClientId("hospital/7");
        using (var store = ClientStateStore.OpenPersistent(folder.Path, 1 << 20))
        {
            store.Releases.Record(id);
            store.Releases.Record(id);
        }

        // when the node opens its store again
        using var reopened = ClientStateStore.OpenPersistent(folder.Path, 1 << 20);

        // then the count is there, the next release is the third, and the state entries are not disturbed
        Assert.Equal(2, reopened.Releases.Count(id));
        Assert.Equal(3, reopened.Releases.Record(id));
        Assert.True(reopened.Load(id, new RoundNumber(1)).IsEmpty);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _store.Dispose();
        }
    }

    private static LocalDpSettings Settings(double clip, double noiseMultiplier) =>
        new(clip, noiseMultiplier, SecureNoise: true, Delta: 1e-5, Accountant: LocalDpSettings.Rdp, Conversion: RdpConversion.Improved);

    // Values of a few units, so that float rounding of w_global + Δ matters as it would in a model.
    private static Parameters Global() => Parameters.Wrap(Layout, [.. Enumerable.Range(0, Dimension).Select(i => (float)((i % 17) - 8) / 4)]);

    private static Parameters Raw() => Parameters.Wrap(Layout, [.. Global().Values.ToArray().Select(v => v + RawStep)]);

    private static FitRequest Request(int round) =>
        new(new RoundNumber(round), 1, Global(), new FitConfig(1, 32, 0.1f, 0f, 0f, NamedTensors.NoHyperparameters), Seed: 1000 + round, NamedTensors.Empty, TimeSpan.FromSeconds(30));

    private static double[] Delta(Parameters released, Parameters global) =>
        [.. released.Values.ToArray().Zip(global.Values.ToArray(), (w, g) => (double)w - g)];

    // No coordinate of the release equals the raw update's: the probability of a hit is about 2^-20 per value for noise of σ ≥ 1e-6 on this grid.
    private static void AssertNeverRaw(Parameters released)
    {
        var raw = Raw().Values.ToArray();
        var values = released.Values.ToArray();
        Assert.Empty(values.Where((v, i) => v == raw[i]));
    }

    private (IActorRef Client, TestProbe Coordinator) StartClient(LocalDpSettings settings, ITrainer trainer)
    {
        var coordinator = CreateTestProbe();
        var client = Sys.ActorOf(FederatedClient.Props(new ClientId("local"), coordinator.Ref, _ => trainer, _store, TimeSpan.FromSeconds(30), settings));
        coordinator.ExpectMsg<RegisterClient>();
        client.Tell(new ClientRegistered(new ClientId("local")), coordinator.Ref);
        return (client, coordinator);
    }

    private FitResult Fit(IActorRef client, TestProbe coordinator, int round)
    {
        client.Tell(Request(round), coordinator.Ref);
        var result = coordinator.ExpectMsg<FitResult>();
        Assert.Equal((round, "local"), (result.Round.Value, result.Client.Value));
        return result;
    }

    /// <summary>Moves every weight by <see cref="RawStep"/>: a known raw update; optionally returns SCAFFOLD-like extras.</summary>
    private sealed class KnownUpdateTrainer(bool withExtras = false) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            var extras = withExtras ? NamedTensors.Empty.Add("scaffold.control-delta", Raw()) : NamedTensors.Empty;
            return new LocalFit(Raw(), 100, 0.5, 0.5, extras, NamedTensors.Empty);
        }

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => new(100, 0, 0);

        public void Dispose()
        {
        }
    }
}
