using System.Collections.Immutable;
using FedActors.Core.Client;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Client;

/// <summary>A cluster node's client-state store: entries in files on the node, found again after a restart.</summary>
public sealed class PersistentClientStateStoreTests : IDisposable
{
    private static readonly ClientId Client = new("hospital/3");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fedactors-state-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public void Reopen_AfterTheNodeRestarts_FindsTheNewestStateAndCanRollBackOneRound()
    {
        // given a node whose client kept state after rounds 1, 2 and 3
        using (var store = ClientStateStore.OpenPersistent(_folder, memoryBudgetBytes: 1 << 20))
        {
            foreach (var round in new[] { 1, 2, 3 })
            {
                store.Save(Client, new RoundNumber(round), State(round));
            }
        }

        // when the node restarts and opens its store again
        using var reopened = ClientStateStore.OpenPersistent(_folder, memoryBudgetBytes: 0);

        // then round 4 starts from round 3's state, a server resuming at round 3 gets round 2's,
        // and round 1's file is gone (two generations are kept)
        Assert.Equal(State(3)["c"].Values.ToArray(), reopened.Load(Client, new RoundNumber(4))["c"].Values.ToArray());
        Assert.Equal(State(2)["c"].Values.ToArray(), reopened.Load(Client, new RoundNumber(3))["c"].Values.ToArray());
        Assert.Equal(["00000002.safetensors", "00000003.safetensors"], Directory.GetFiles(Path.Combine(_folder, Uri.EscapeDataString(Client.Value))).Select(Path.GetFileName).Order());
        Assert.Throws<InvalidOperationException>(() => reopened.Load(Client, new RoundNumber(2)));
    }

    [Fact]
    public void Load_WhenAnEntryFileIsCorrupt_FailsNamingTheClientAndTheRound()
    {
        // given a stored entry whose file was truncated
        using (var store = ClientStateStore.OpenPersistent(_folder, memoryBudgetBytes: 0))
        {
            store.Save(Client, new RoundNumber(5), State(5));
        }

        var file = Directory.GetFiles(Path.Combine(_folder, Uri.EscapeDataString(Client.Value))).Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..20]);

        // when the client's next fit loads it
        using var reopened = ClientStateStore.OpenPersistent(_folder, memoryBudgetBytes: 0);
        var error = Assert.Throws<InvalidDataException>(() => reopened.Load(Client, new RoundNumber(6)));

        // then the error says whose state and which round
        Assert.Contains("client hospital/3's kept state from round 5 cannot be read", error.Message);
    }

    private static ImmutableSortedDictionary<string, Parameters> State(int round) =>
        NamedTensors.Empty.Add("c", TestParameters.Filled(round + 0.5f));
}
