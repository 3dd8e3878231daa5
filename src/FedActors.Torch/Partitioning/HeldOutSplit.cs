namespace FedActors.Torch.Partitioning;

/// <summary>
/// Splits each client's shard into the samples it trains on and the samples it holds out for
/// federated evaluation: a seeded choice of <c>round(share · n)</c> of its n samples (at least
/// one when the share is positive), so every client keeps at least one training sample.
/// </summary>
public static class HeldOutSplit
{
    /// <summary>The training and held-out indices of each shard, in shard order.</summary>
    /// <param name="shards">Each client's sample indices (non-empty).</param>
    /// <param name="share">Share of each shard held out, in [0, 1).</param>
    /// <param name="seed">Seed for the choice.</param>
    /// <exception cref="ArgumentException">The share is out of range, or a shard has fewer than two samples while a share is held out.</exception>
    public static (int[][] Train, int[][] HeldOut) Split(int[][] shards, double share, int seed)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (!(share >= 0 && share < 1))
        {
            throw new ArgumentException($"the held-out share must be in [0, 1), not {share}", nameof(share));
        }

        var train = new int[shards.Length][];
        var heldOut = new int[shards.Length][];
        var random = new Random(seed);
        for (var i = 0; i < shards.Length; i++)
        {
            var shard = shards[i];
            if (share == 0)
            {
                (train[i], heldOut[i]) = (shard, []);
                continue;
            }

            if (shard.Length < 2)
            {
                throw new ArgumentException($"shard {i} has {shard.Length} sample(s): it cannot both train and hold out data", nameof(shards));
            }

            var held = Math.Clamp((int)Math.Round(share * shard.Length), 1, shard.Length - 1);
            var order = (int[])shard.Clone();
            random.Shuffle(order);
            heldOut[i] = order[..held];
            train[i] = order[held..];
            Array.Sort(heldOut[i]);
            Array.Sort(train[i]);
        }

        return (train, heldOut);
    }
}
