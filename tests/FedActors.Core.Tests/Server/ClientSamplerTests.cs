using FedActors.Core.Protocol;
using FedActors.Core.Server;

namespace FedActors.Core.Tests.Server;

public sealed class ClientSamplerTests
{
    private static readonly ClientId[] Hundred = Enumerable.Range(0, 100).Select(i => new ClientId($"c{i:D3}")).ToArray();

    [Theory]
    [InlineData(0.1, 2, 10)]
    [InlineData(0.01, 5, 5)]
    [InlineData(1.0, 2, 100)]
    [InlineData(0.5, 200, 100)]
    public void Sample_WhenAskedForAFraction_TakesTheLargerOfFractionAndMinimumButNoMoreThanExist(double fraction, int minimum, int expected)
    {
        // given 100 registered clients
        // when a round samples them
        var sample = ClientSampler.Sample(Hundred, fraction, minimum, seed: 3);

        // then the count follows max(floor(fraction * N), minimum), capped at N, without repeats
        Assert.Equal(expected, sample.Length);
        Assert.Equal(expected, sample.Distinct().Count());
    }

    [Fact]
    public void Sample_WithTheSameSeed_IsTheSameWhateverTheRegistrationOrder()
    {
        // given the same clients registered in two orders
        var shuffled = Hundred.Reverse().ToArray();

        // when both are sampled with one seed
        var a = ClientSampler.Sample(Hundred, 0.1, 1, seed: 42);
        var b = ClientSampler.Sample(shuffled, 0.1, 1, seed: 42);

        // then the samples are identical and in id order
        Assert.Equal(a.AsEnumerable(), b.AsEnumerable());
        Assert.Equal(a.Order(), a.AsEnumerable());
    }

    [Fact]
    public void Sample_WithDifferentRoundSeeds_DrawsDifferentClients()
    {
        // given the seeds two rounds of one run derive
        var round1 = SeedDerivation.ForRound(42, "sample", new RoundNumber(1), 1);
        var round2 = SeedDerivation.ForRound(42, "sample", new RoundNumber(2), 1);

        // when each samples 10 of 100
        var a = ClientSampler.Sample(Hundred, 0.1, 1, round1);
        var b = ClientSampler.Sample(Hundred, 0.1, 1, round2);

        // then the rounds differ
        Assert.NotEqual(a.AsEnumerable(), b.AsEnumerable());
    }
}
