using FedActors.Core.Privacy;
using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Core.Tests.Server;

public sealed class PoissonSamplerTests
{
    private static readonly ClientId[] Clients = [.. Enumerable.Range(0, 20_000).Select(i => new ClientId($"c{i:D5}"))];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Sample_AtRateQ_DrawsABinomialNumberOfClients(bool secure)
    {
        // given 20,000 clients and q = 0.05: the draw's size is Binomial(20,000, 0.05), mean 1,000, sd 30.8
        var source = secure ? NoiseSource.Secure() : NoiseSource.SeededNonPrivate(5);

        // when they are drawn
        var drawn = PoissonSampler.Sample(Clients, 0.05, source);

        // then the size is within ±5.3 sd of the mean (a correct sampler fails this with probability about 1e-7), in id order
        Assert.InRange(drawn.Length, 1000 - 164, 1000 + 164);
        Assert.Equal(drawn.Order().ToArray(), drawn.ToArray());
    }

    [Fact]
    public void Sample_EachClient_IsIncludedWithProbabilityQ()
    {
        // given 400 draws of the first 10 clients at q = 0.3 (seeded): each inclusion count is Binomial(400, 0.3), sd 9.2
        var source = NoiseSource.SeededNonPrivate(9);
        var counts = new int[10];
        for (var draw = 0; draw < 400; draw++)
        {
            foreach (var c in PoissonSampler.Sample(Clients.Take(10), 0.3, source))
            {
                counts[int.Parse(c.Value[1..], System.Globalization.CultureInfo.InvariantCulture)]++;
            }
        }

        // then every client was included 120 ± 5.5 sd times (false-failure rate below 1e-6 over the ten)
        Assert.All(counts, n => Assert.InRange(n, 120 - 51, 120 + 51));
    }

    [Fact]
    public void Sample_FromTheSameSeed_IsTheSameDraw_AndFromAnotherSeedIsNot()
    {
        var a = PoissonSampler.Sample(Clients, 0.5, NoiseSource.SeededNonPrivate(42));
        var b = PoissonSampler.Sample(Clients, 0.5, NoiseSource.SeededNonPrivate(42));
        var c = PoissonSampler.Sample(Clients, 0.5, NoiseSource.SeededNonPrivate(43));
        Assert.Equal(a.ToArray(), b.ToArray());
        Assert.NotEqual(a.ToArray(), c.ToArray());
    }

    [Fact]
    public void Sample_FromTheSecureSource_DiffersBetweenTwoDrawsOfTheSameSetting()
    {
        // two secure draws of 20,000 clients at q = 0.5 coincide with probability 2^-20,000
        Assert.NotEqual(PoissonSampler.Sample(Clients, 0.5, NoiseSource.Secure()).ToArray(), PoissonSampler.Sample(Clients, 0.5, NoiseSource.Secure()).ToArray());
    }

    [Fact]
    public void Sample_AtRateOne_TakesEveryone()
    {
        Assert.Equal(Clients.Length, PoissonSampler.Sample(Clients, 1.0, NoiseSource.Secure()).Length);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Sample_AtARateOutsideTheUnitInterval_Throws(double rate)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PoissonSampler.Sample(Clients, rate, NoiseSource.Secure()));
    }
}
