namespace FedActors.Torch.Partitioning;

/// <summary>
/// Splits a labelled data set among federated clients. Implementations are seeded and pure:
/// the same labels, client count and seed always give the same split, so a simulation can be
/// rerun exactly. Compute the split once per run and keep it.
/// </summary>
public interface IPartitioner
{
    /// <summary>Assigns sample indices to <paramref name="clientCount"/> clients.</summary>
    /// <param name="labels">The class label of every sample.</param>
    /// <param name="clientCount">How many clients share the data (at least 1, at most the sample count).</param>
    /// <returns>For each client, its sample indices in ascending order; no index appears twice.</returns>
    /// <exception cref="ArgumentException">The split is impossible for these labels and this many clients.</exception>
    int[][] Partition(ReadOnlySpan<byte> labels, int clientCount);
}
