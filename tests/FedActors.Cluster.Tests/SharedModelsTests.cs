using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Transfers;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Cluster.Tests;

/// <summary>A round's global model, encoded once however many clients it goes to.</summary>
public sealed class SharedModelsTests : IAsyncLifetime
{
    private ActorSystem _system = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("shared-models", FedActorsConfig.Load(ConfigurationFactory.ParseString("akka.loglevel = WARNING"), ClusterSettings.Defaults));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    [Fact]
    public void RequestsOfOneRound_ShareTheModelsEncoding_AndEachReassemblesToItsOwnPayload()
    {
        // given three clients' fit requests of one round: one global model of 10,000 weights, each with its own seed
        var global = Parameters.Wrap(new ParameterLayout([new TensorSpec("w", [10_000])]), [.. Enumerable.Range(0, 10_000).Select(i => i * 0.5f)]);
        var requests = Enumerable.Range(0, 3).Select(seed => new FitRequest(
            new RoundNumber(2), 1, global, new FitConfig(1, 32, 0.01f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), seed, ImmutableSortedDictionary<string, Parameters>.Empty, TimeSpan.FromMinutes(1))).ToList();
        var models = new SharedModels(chunkSize: 4096);

        // when each is cut into chunks for its client
        var chunked = requests.Select((r, i) => Chunking.SplitRequest(_system, new ClientId($"client-{i}"), r, 4096, models)).ToList();

        // then the model was encoded once, every request's model chunks are slices of that one array,
        // and each request's chunks put back together are exactly what the serializer makes of it
        Assert.Equal(1, models.Encodings);
        Assert.Single(chunked.SelectMany(c => c).Where(c => c.Data.Length > 1000).Select(Array).Distinct());
        var serializer = (SerializerWithStringManifest)_system.Serialization.FindSerializerFor(requests[0]);
        for (var i = 0; i < requests.Count; i++)
        {
            var assembler = new TransferAssembler();
            TransferOutcome? outcome = null;
            foreach (var chunk in chunked[i])
            {
                outcome = assembler.Add(chunk, DateTime.UtcNow);
            }

            var done = Assert.IsType<TransferCompleted>(outcome);
            Assert.Equal(serializer.ToBinary(requests[i]), done.Bytes);
            Assert.Equal(requests[i].Seed, Assert.IsType<FitRequest>(Chunking.Read(_system, done.Manifest, done.Bytes)).Seed);
        }
    }

    private static byte[] Array(Chunk chunk) => MemoryMarshal.TryGetArray(chunk.Data, out var segment) ? segment.Array! : [];
}
