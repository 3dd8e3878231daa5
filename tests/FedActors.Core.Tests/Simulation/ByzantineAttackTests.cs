using FedActors.Core.Protocol;
using FedActors.Core.Simulation;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Simulation;

/// <summary>The simulation's Byzantine clients: who attacks, and what they send.</summary>
public sealed class ByzantineAttackTests
{
    private static readonly List<ClientId> s_clients = [.. Enumerable.Range(0, 10).Select(i => new ClientId($"c{i}"))];

    [Fact]
    public void ChooseAttackers_PicksRoundedFractionOfTheClientsTheSameWayForTheSameSeed()
    {
        // given a 20% sign-flip attack
        var attack = new ByzantineAttack(AttackKind.SignFlip, 0.2, 1, 1);

        // when the attackers are chosen twice with one seed and once with another
        var first = attack.ChooseAttackers(s_clients, runSeed: 5);
        var again = attack.ChooseAttackers(s_clients, runSeed: 5);
        var other = Enumerable.Range(1, 20).Select(seed => attack.ChooseAttackers(s_clients, seed)).ToList();

        // then two clients attack, the same two for the same seed, and other seeds pick others
        Assert.Equal(2, first.Count);
        Assert.Equal(first.Order(), again.Order());
        Assert.Contains(other, o => !o.SetEquals(first));
        Assert.Empty(ByzantineAttack.None.ChooseAttackers(s_clients, 5));
    }

    [Theory]
    [InlineData(AttackKind.SignFlip, 1f, 3f, -1f)]
    [InlineData(AttackKind.Scale, 1f, 3f, 201f)]
    [InlineData(AttackKind.LabelFlip, 1f, 3f, 3f)]
    public void Poison_ReplacesTheHonestUpdateByItsRule(AttackKind kind, float global, float honest, float expected)
    {
        // given a global model of 1s, an honest update to 3s, scale s = 100
        var attack = new ByzantineAttack(kind, 0.2, Scale: 100, NoiseStd: 1);

        // when
        var poisoned = attack.Poison(TestParameters.Filled(global), TestParameters.Filled(honest), seed: 1);

        // then sign flip sends w_g - (w_k - w_g) = -1, scale w_g + 100 (w_k - w_g) = 201, label flip the honest update
        Assert.All(poisoned.Values.ToArray(), v => Assert.Equal(expected, v));
    }

    [Fact]
    public void Poison_WithGaussianNoise_SendsTheGlobalModelPlusSeededNoiseOfTheConfiguredSpread()
    {
        // given sigma = 2 over a layout of 6 values, repeated over many seeds
        var attack = new ByzantineAttack(AttackKind.GaussianNoise, 0.2, 1, NoiseStd: 2);
        var samples = Enumerable.Range(0, 2000)
            .SelectMany(seed => attack.Poison(TestParameters.Filled(5f), TestParameters.Filled(9f), seed).Values.ToArray())
            .Select(v => v - 5.0)
            .ToList();

        // then the noise is centred on the global model with standard deviation 2 (12,000 draws:
        // the sample mean's standard error is 0.018 and the sample std's about 0.013, so these
        // bounds are over 8 standard errors wide), and the same seed repeats exactly
        var mean = samples.Average();
        var std = Math.Sqrt(samples.Sum(v => (v - mean) * (v - mean)) / (samples.Count - 1));
        Assert.InRange(mean, -0.15, 0.15);
        Assert.InRange(std, 1.9, 2.1);
        Assert.Equal(TestParameters.Bits(attack.Poison(TestParameters.Filled(5f), TestParameters.Filled(9f), 7)), TestParameters.Bits(attack.Poison(TestParameters.Filled(5f), TestParameters.Filled(9f), 7)));
    }
}
