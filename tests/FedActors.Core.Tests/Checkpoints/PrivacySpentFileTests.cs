using System.Collections.Immutable;
using FedActors.Core.Checkpoints;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Checkpoints;

/// <summary>The privacy spent after the newest checkpoint, kept beside it in a <see cref="CheckpointFolder"/>.</summary>
public sealed class PrivacySpentFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void SaveSpent_ThenLoadNewest_GivesTheRecordBackExactlyWithTheCheckpoint()
    {
        // given a checkpoint after round 2 and a record of round 3 attempt 2 with scalars that decimal text would round
        var folder = new CheckpointFolder(_folder.Path);
        folder.Save(CheckpointFolderTests.CheckpointOf(2));
        var record = new PrivacySpentRecord(new RoundNumber(3), 2, Scalars(("dp-fedavg.rdp.1.5", 1.0 / 3), ("dp-fedavg.rdp.steps", 4), ("tiny", double.Epsilon)));

        // when it is saved and the folder loaded
        folder.SaveSpent(record);
        var loaded = folder.LoadNewest().Checkpoint;

        // then the checkpoint carries the record, bit for bit
        Assert.Equal(2, loaded.Server.Round.Value);
        Assert.NotNull(loaded.Spent);
        Assert.Equal((3, 2), (loaded.Spent.Round.Value, loaded.Spent.Attempt));
        Assert.Equal(record.Spent, loaded.Spent.Spent);
    }

    [Fact]
    public void LoadNewest_WhenNoRecordWasSaved_GivesTheCheckpointWithoutOne()
    {
        // given a checkpoint and no record
        var folder = new CheckpointFolder(_folder.Path);
        folder.Save(CheckpointFolderTests.CheckpointOf(1));

        // when it is loaded, then it has none
        Assert.Null(folder.LoadNewest().Checkpoint.Spent);
    }

    [Theory]
    [InlineData(CheckpointFolderTests.Damage.Truncated)]
    [InlineData(CheckpointFolderTests.Damage.Altered)]
    public void LoadNewest_WhenTheRecordIsDamaged_FailsNamingTheFileAndLeavesItAsItWas(CheckpointFolderTests.Damage damage)
    {
        // given a checkpoint and a record, the record then damaged
        var folder = new CheckpointFolder(_folder.Path);
        folder.Save(CheckpointFolderTests.CheckpointOf(2));
        folder.SaveSpent(new PrivacySpentRecord(new RoundNumber(3), 1, Scalars(("dp-fedavg.pld.steps", 3))));
        var file = Path.Combine(_folder.Path, CheckpointFolder.PrivacySpentFileName);
        CheckpointFolderTests.DamageFile(file, damage);
        var damaged = File.ReadAllBytes(file);

        // when the folder is loaded
        var e = Assert.Throws<InvalidDataException>(() => folder.LoadNewest());

        // then the error names the file and says what it holds; the file is as it was
        Assert.Contains($"privacy record {file} cannot be read", e.Message);
        Assert.Contains("does not match the SHA-256", e.Message);
        Assert.Equal(damaged, File.ReadAllBytes(file));
    }

    public void Dispose() => _folder.Dispose();

    private static ImmutableSortedDictionary<string, double> Scalars(params (string Name, double Value)[] entries) =>
        entries.ToImmutableSortedDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
}
