using System.Collections.Immutable;
using FedActors.Core.Client;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Client;

public sealed class ClientStateStoreTests : IDisposable
{
    private static readonly ClientId C1 = new("c1");

    private readonly TempFolder _spill = new();

    [Fact]
    public void Load_WhenTheClientKeptNothing_ReturnsAnEmptyState()
    {
        // given an empty store
        using var store = new ClientStateStore(1 << 20);

        // when a client's state for round 1 is loaded
        var state = store.Load(C1, new RoundNumber(1));

        // then it is empty
        Assert.Empty(state);
    }

    [Fact]
    public void Load_ForARound_ReturnsTheNewestEntryWrittenBeforeThatRound()
    {
        // given entries written by the fits of rounds 1 and 3
        using var store = new ClientStateStore(1 << 20);
        store.Save(C1, new RoundNumber(1), State(1f));
        store.Save(C1, new RoundNumber(3), State(3f));

        // when the states for rounds 2 to 5 are loaded
        var loaded = Enumerable.Range(2, 4).Select(r => ValueOf(store.Load(C1, new RoundNumber(r))));

        // then rounds 2 and 3 start from round 1's entry, and later rounds from round 3's
        Assert.Equal([1f, 1f, 3f, 3f], loaded);
    }

    [Fact]
    public void Save_AtARoundAlreadyWritten_DropsTheEntriesFromThatRoundOnAndKeepsTheOneBefore()
    {
        // given entries of rounds 1 and 2, and a run rolled back to retrain round 2
        using var store = new ClientStateStore(1 << 20);
        store.Save(C1, new RoundNumber(1), State(1f));
        store.Save(C1, new RoundNumber(2), State(2f));

        // when round 2 is written again
        store.Save(C1, new RoundNumber(2), State(20f));

        // then round 3 sees the new round 2, and a fit of round 2 still finds round 1's
        Assert.Equal(20f, ValueOf(store.Load(C1, new RoundNumber(3))));
        Assert.Equal(1f, ValueOf(store.Load(C1, new RoundNumber(2))));
    }

    [Fact]
    public void Save_OfAnEmptyState_IsKeptAsSuch()
    {
        // given an entry of round 1, then a fit of round 2 that left nothing behind
        using var store = new ClientStateStore(1 << 20);
        store.Save(C1, new RoundNumber(1), State(1f));
        store.Save(C1, new RoundNumber(2), NamedTensors.Empty);

        // when round 3's state is loaded
        var state = store.Load(C1, new RoundNumber(3));

        // then it is round 2's empty state, not round 1's
        Assert.Empty(state);
    }

    [Fact]
    public void Load_WhenTheStateIsNewerThanTheOneRoundItCanRollBack_ThrowsSayingWhatToDo()
    {
        // given entries of rounds 1, 2 and 3 (of which the two newest are kept)
        using var store = new ClientStateStore(1 << 20);
        for (var r = 1; r <= 3; r++)
        {
            store.Save(C1, new RoundNumber(r), State(r));
        }

        // when a fit of round 2 asks for what came before it
        var error = Assert.Throws<InvalidOperationException>(() => store.Load(C1, new RoundNumber(2)));

        // then the error names the client, the rounds and the remedy; a fit of round 3 still rolls back to round 2
        Assert.Contains("client c1's kept state is from round 2 or later, but it was asked to train round 2", error.Message);
        Assert.Contains("resume from a newer checkpoint", error.Message);
        Assert.Equal(2f, ValueOf(store.Load(C1, new RoundNumber(3))));
    }

    [Fact]
    public void Save_BeyondTheMemoryBudget_SpillsToDiskAndReadsBackBitForBit()
    {
        // given a budget below one client's state (24 bytes), and states with values that must survive exactly
        using var store = new ClientStateStore(memoryBudgetBytes: 16, _spill.Path);
        float[] special = [BitConverter.Int32BitsToSingle(0x7FC0_1234), -0f, float.Epsilon, float.MaxValue, float.NegativeInfinity, 1f / 3];
        var written = Enumerable.Range(0, 3).Select(i => special.Select(v => i == 0 ? v : v * (i + 1)).ToArray()).ToArray();

        // when three clients save
        for (var i = 0; i < written.Length; i++)
        {
            store.Save(new ClientId($"c{i}"), new RoundNumber(1), TestParameters.Named(("w", TestParameters.Of(written[i]))));
        }

        // then entries spilled to files, memory stays within the budget, and each reads back with the same bits
        Assert.True(store.SpilledEntries > 0, $"{store.SpilledEntries} entries spilled");
        Assert.True(store.BytesInMemory <= 16, $"{store.BytesInMemory} bytes in memory");
        Assert.NotEmpty(Directory.EnumerateFiles(_spill.Path));
        for (var i = 0; i < written.Length; i++)
        {
            var read = store.Load(new ClientId($"c{i}"), new RoundNumber(2))["w"];
            Assert.Equal(TestParameters.Bits(TestParameters.Of(written[i])), TestParameters.Bits(read));
            Assert.True(read.Layout.Matches(TestParameters.Layout));
        }
    }

    [Fact]
    public void Snapshot_ThenRestoreIntoAnotherStore_GivesEveryClientTheSameState()
    {
        // given c1 with entries of rounds 1 and 2, c2 of round 1, and c3 of round 3 only
        using var store = new ClientStateStore(1 << 20);
        store.Save(C1, new RoundNumber(1), State(1f));
        store.Save(C1, new RoundNumber(2), State(2f));
        store.Save(new ClientId("c2"), new RoundNumber(1), TestParameters.Named(("a", TestParameters.Filled(5f)), ("b", TestParameters.Filled(6f))));
        store.Save(new ClientId("c3"), new RoundNumber(3), State(3f));

        // when a checkpoint after round 2 takes a snapshot, and a fresh store restores it
        var snapshot = store.Snapshot(new RoundNumber(2));
        using var restored = new ClientStateStore(1 << 20);
        restored.Restore(snapshot);

        // then the snapshot holds each client's newest entry up to round 2, and the restored store gives round 3 the same state
        Assert.Equal([("c1", 2), ("c2", 1)], snapshot.Select(e => (e.Client.Value, e.Round.Value)));
        Assert.Equal(2f, ValueOf(restored.Load(C1, new RoundNumber(3))));
        var c2 = restored.Load(new ClientId("c2"), new RoundNumber(3));
        Assert.Equal((5f, 6f), (c2["a"].Values[0], c2["b"].Values[0]));
        Assert.Empty(restored.Load(new ClientId("c3"), new RoundNumber(3)));
    }

    public void Dispose() => _spill.Dispose();

    private static ImmutableSortedDictionary<string, Parameters> State(float value) => TestParameters.Named(("w", TestParameters.Filled(value)));

    private static float ValueOf(ImmutableSortedDictionary<string, Parameters> state) => state["w"].Values[0];
}
