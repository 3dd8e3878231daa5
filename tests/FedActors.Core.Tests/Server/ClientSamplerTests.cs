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

    [Theory]
    [InlineData(100, 0.1, 1)]
    [InlineData(1000, 0.01, 5)]
    [InlineData(997, 0.5, 1)]
    [InlineData(50, 1.0, 1)]
    public void Sample_GivesTheDenseShufflesSample(int registered, double fraction, int minimum)
    {
        // given ids, and the partial Fisher-Yates shuffle over a sorted copy that the sampler used to run
        var ids = Enumerable.Range(0, registered).Select(i => new ClientId($"id-{(i * 7919) % registered:D5}")).ToArray();

        foreach (var seed in new[] { 1, 42, -7, int.MaxValue })
        {
            // when the sparse sampler draws, from a plain list and from the registry's ordered ids
            var ordered = new OrderedClientIds();
            foreach (var id in ids)
            {
                ordered.Add(id);
            }

            var fromList = ClientSampler.Sample(ids, fraction, minimum, seed);
            var fromRegistry = ClientSampler.Sample(ordered, fraction, minimum, seed);

            // then both are the dense shuffle's sample: the same seed gives the same clients as before
            Assert.Equal(DenseSample(ids, fraction, minimum, seed), fromList.AsEnumerable());
            Assert.Equal(fromList.AsEnumerable(), fromRegistry.AsEnumerable());
        }
    }

    [Fact]
    public void OrderedClientIds_WhenIdsArriveOutOfOrderAndSomeLeave_ReadsInOrdinalOrder()
    {
        // given ids added out of order, one removed
        var ordered = new OrderedClientIds();
        foreach (var id in new[] { "b", "a", "d", "c" })
        {
            ordered.Add(new ClientId(id));
        }

        // when one leaves
        Assert.True(ordered.Remove(new ClientId("c")));
        Assert.False(ordered.Remove(new ClientId("z")));

        // then the rest read in ordinal order, by index and by enumeration
        Assert.Equal(["a", "b", "d"], ordered.Select(c => c.Value));
        Assert.Equal("d", ordered[2].Value);
    }

    [Fact]
    public void OrderedClientIds_WhenShardsRegisterInterleavedAndClientsLeave_IndexesAndSamplesAsASortedCopy()
    {
        // given 20,000 ids arriving as eight shards register at once (each shard's ids in order, the shards interleaved),
        // enough for the list to split into many chunks
        var shards = Enumerable.Range(0, 8).Select(s => Enumerable.Range(s * 2500, 2500).Select(i => new ClientId($"client-{i:D6}")).ToList()).ToList();
        var ordered = new OrderedClientIds();
        var random = new Random(5);
        var cursors = new int[shards.Count];
        while (cursors.Select((c, s) => c < shards[s].Count).Any(open => open))
        {
            var s = random.Next(shards.Count);
            for (var n = random.Next(1, 300); n > 0 && cursors[s] < shards[s].Count; n--)
            {
                ordered.Add(shards[s][cursors[s]++]);
            }
        }

        // when every seventh client leaves
        var expected = shards.SelectMany(s => s).Order().ToList();
        foreach (var gone in expected.Where((_, i) => i % 7 == 0).ToList())
        {
            Assert.True(ordered.Remove(gone));
            expected.Remove(gone);
        }

        // then reading by index and by enumeration gives the sorted ids, and each seed samples what the dense shuffle over a sorted copy samples
        Assert.Equal(expected.Count, ordered.Count);
        Assert.Equal(expected, Enumerable.Range(0, ordered.Count).Select(i => ordered[i]));
        Assert.Equal(expected, ordered.AsEnumerable());
        foreach (var seed in new[] { 1, 42, -7 })
        {
            Assert.Equal(DenseSample(expected, 0.005, 100, seed), ClientSampler.Sample(ordered, 0.005, 100, seed).AsEnumerable());
        }
    }

    // The sampler before it went sparse: a sorted copy of every id, shuffled in place.
    private static IEnumerable<ClientId> DenseSample(IEnumerable<ClientId> registered, double fraction, int minimum, int seed)
    {
        var pool = registered.Order().ToArray();
        var count = ClientSampler.SampleSize(pool.Length, fraction, minimum);
        var random = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            var j = random.Next(i, pool.Length);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }

        return pool.Take(count).Order();
    }
}
