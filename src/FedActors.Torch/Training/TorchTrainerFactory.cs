using FedActors.Core.Protocol;
using FedActors.Core.Training;
using FedActors.Torch.Data;
using FedActors.Torch.Models;

namespace FedActors.Torch.Training;

/// <summary>
/// Creates a <see cref="TorchTrainer"/> per client over shared, read-only data: each client
/// is known by its shard of sample indices, so ten thousand clients cost ten thousand index
/// arrays and no models. <see cref="Create"/> fits a <c>Func&lt;ClientId, ITrainer&gt;</c>.
/// </summary>
public sealed class TorchTrainerFactory
{
    private readonly ModelKind _model;
    private readonly LabeledImages _train;
    private readonly IReadOnlyDictionary<ClientId, int[]> _trainShards;
    private readonly LabeledImages? _test;
    private readonly IReadOnlyDictionary<ClientId, int[]>? _testShards;
    private readonly int[]? _allTest;

    /// <summary>Creates the factory.</summary>
    /// <param name="model">The model every client trains.</param>
    /// <param name="train">The training images all shards index into (28x28).</param>
    /// <param name="trainShards">Each client's training sample indices (non-empty).</param>
    /// <param name="test">
    /// Images for <see cref="ITrainer.Evaluate"/> (federated evaluation); when null a client
    /// evaluates on its own training shard.
    /// </param>
    /// <param name="testShards">
    /// Each client's indices into <paramref name="test"/>; when null every client evaluates on
    /// the whole of <paramref name="test"/>.
    /// </param>
    public TorchTrainerFactory(
        ModelKind model,
        LabeledImages train,
        IReadOnlyDictionary<ClientId, int[]> trainShards,
        LabeledImages? test = null,
        IReadOnlyDictionary<ClientId, int[]>? testShards = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(trainShards);
        _ = model.ToConfigName();
        RequireModelInput(train, nameof(train));
        ValidateShards(trainShards, train.Count, nameof(trainShards));
        if (test is not null)
        {
            RequireModelInput(test, nameof(test));
            if (testShards is not null)
            {
                ValidateShards(testShards, test.Count, nameof(testShards));
            }
            else
            {
                _allTest = Enumerable.Range(0, test.Count).ToArray();
            }
        }
        else if (testShards is not null)
        {
            throw new ArgumentException("test shards were given without test images", nameof(testShards));
        }

        _model = model;
        _train = train;
        _trainShards = trainShards;
        _test = test;
        _testShards = testShards;
    }

    /// <summary>
    /// Creates the factory with shard <c>i</c> for <c>clients[i]</c>, as a partitioner returns them.
    /// </summary>
    public TorchTrainerFactory(ModelKind model, LabeledImages train, IReadOnlyList<ClientId> clients, int[][] trainShards, LabeledImages? test = null)
        : this(model, train, Zip(clients, trainShards), test)
    {
    }

    /// <summary>The clients this factory has a shard for.</summary>
    public IEnumerable<ClientId> Clients => _trainShards.Keys;

    /// <summary>A trainer for <paramref name="client"/>; cheap: it holds only references.</summary>
    /// <exception cref="ArgumentException">The factory has no shard for <paramref name="client"/>.</exception>
    public ITrainer Create(ClientId client)
    {
        if (!_trainShards.TryGetValue(client, out var shard))
        {
            throw new ArgumentException($"no training shard for client '{client}'", nameof(client));
        }

        var (evaluationData, evaluationIndices) = _test switch
        {
            null => (_train, shard),
            _ when _testShards is not null => (_test, _testShards.TryGetValue(client, out var own) ? own : throw new ArgumentException($"no test shard for client '{client}'", nameof(client))),
            _ => (_test, _allTest!),
        };
        return new TorchTrainer(_model, _train, shard, evaluationData, evaluationIndices);
    }

    /// <summary>Throws unless the images have the size every model takes.</summary>
    internal static void RequireModelInput(LabeledImages images, string argument)
    {
        if (images.Height != ModelFactory.ImageSize || images.Width != ModelFactory.ImageSize)
        {
            throw new ArgumentException($"the models take {ModelFactory.ImageSize}x{ModelFactory.ImageSize} images, not {images.Height}x{images.Width}", argument);
        }
    }

    private static void ValidateShards(IReadOnlyDictionary<ClientId, int[]> shards, int sampleCount, string argument)
    {
        foreach (var (client, indices) in shards)
        {
            if (indices is null || indices.Length == 0)
            {
                throw new ArgumentException($"client '{client}' has an empty shard", argument);
            }

            foreach (var index in indices)
            {
                if ((uint)index >= (uint)sampleCount)
                {
                    throw new ArgumentException($"client '{client}' has sample index {index}, outside 0..{sampleCount - 1}", argument);
                }
            }
        }
    }

    private static Dictionary<ClientId, int[]> Zip(IReadOnlyList<ClientId> clients, int[][] shards)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(shards);
        if (clients.Count != shards.Length)
        {
            throw new ArgumentException($"{clients.Count} clients but {shards.Length} shards", nameof(shards));
        }

        var byClient = new Dictionary<ClientId, int[]>(clients.Count);
        for (var i = 0; i < clients.Count; i++)
        {
            if (!byClient.TryAdd(clients[i], shards[i]))
            {
                throw new ArgumentException($"client '{clients[i]}' appears twice", nameof(clients));
            }
        }

        return byClient;
    }
}
