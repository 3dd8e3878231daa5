using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using FedActors.Core.Checkpoints;
using FedActors.Core.Client;
using FedActors.Core.Metrics;
using FedActors.Core.Protocol;
using FedActors.Core.Server;
using FedActors.Core.Strategies;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;

namespace FedActors.Core.Tests.Checkpoints;

public sealed class CheckpointFolderTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public enum Damage
    {
        Truncated,
        Altered,
    }

    [Fact]
    public void Save_ThenLoadNewest_GivesBackEveryPartExactly()
    {
        // given a checkpoint with a model, history, strategy state, client states (one of them empty) and the run's identity
        var folder = new CheckpointFolder(_folder.Path);
        var saved = CheckpointOf(3);

        // when it is saved and loaded
        folder.Save(saved);
        var (loaded, skipped) = folder.LoadNewest();

        // then every part is as saved
        Assert.Empty(skipped);
        Assert.Equal(3, loaded.Server.Round.Value);
        Assert.Equal(TestParameters.Bits(saved.Server.Global), TestParameters.Bits(loaded.Server.Global));
        Assert.Equal(Json(saved.Server.History), Json(loaded.Server.History));
        Assert.Equal(TestParameters.Bits(saved.Server.Strategy.Tensors["velocity"]), TestParameters.Bits(loaded.Server.Strategy.Tensors["velocity"]));
        Assert.Equal(saved.Server.Strategy.Scalars, loaded.Server.Strategy.Scalars);
        Assert.Equal(
            saved.ClientStates.Select(e => (e.Client.Value, e.Round.Value, string.Join(",", e.State.Keys))),
            loaded.ClientStates.OrderBy(e => e.Client).Select(e => (e.Client.Value, e.Round.Value, string.Join(",", e.State.Keys))));
        Assert.Equal(TestParameters.Bits(saved.ClientStates[0].State["drift"]), TestParameters.Bits(loaded.ClientStates.Single(e => e.Client.Value == "c1").State["drift"]));
        Assert.Equal(saved.Run, loaded.Run);
    }

    [Fact]
    public void Save_AfterTwoCheckpoints_KeepsOnlyTheTwoNewest()
    {
        // given a folder
        var folder = new CheckpointFolder(_folder.Path);

        // when four rounds are checkpointed
        for (var round = 1; round <= 4; round++)
        {
            folder.Save(CheckpointOf(round));
        }

        // then rounds 3 and 4 remain, and nothing temporary
        Assert.Equal(["round-000003", "round-000004"], Directory.EnumerateFileSystemEntries(_folder.Path).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("global.safetensors", Damage.Truncated)]
    [InlineData("global.safetensors", Damage.Altered)]
    [InlineData("strategy.safetensors", Damage.Altered)]
    [InlineData("client-state.safetensors", Damage.Truncated)]
    [InlineData("history.json", Damage.Altered)]
    [InlineData("checkpoint.json", Damage.Truncated)]
    [InlineData("checkpoint.sha256", Damage.Altered)]
    public void LoadNewest_WhenAFileOfTheNewestCheckpointIsDamaged_FallsBackToThePreviousAndReportsTheSkippedOne(string file, Damage damage)
    {
        // given checkpoints of rounds 2 and 3, and one file of round 3's damaged
        var folder = SavedRounds(2, 3);
        DamageFile(Path.Combine(_folder.Path, "round-000003", file), damage);
        var before = Contents();

        // when the newest checkpoint is loaded
        var (checkpoint, skipped) = folder.LoadNewest();

        // then round 2 is loaded, round 3 is reported with the problem, and loading changed nothing in the folder
        Assert.Equal(2, checkpoint.Server.Round.Value);
        var report = Assert.Single(skipped);
        Assert.Contains("round-000003", report);
        Assert.Contains(file, report);
        Assert.Contains("does not match the SHA-256", report);

        Assert.Equal(before, Contents());
    }

    [Theory]
    [InlineData("\"round\": 3", "\"round\": 5")]
    [InlineData("\"steps\": \"3\"", "\"steps\": \"30\"")]
    [InlineData("\"config-hash\": \"hash-3\"", "\"config-hash\": \"hash-9\"")]
    public void LoadNewest_WhenTheNewestManifestIsAlteredButStillReads_FallsBackToThePrevious(string original, string altered)
    {
        // given checkpoints of rounds 2 and 3, and round 3's manifest edited into other valid JSON
        var folder = SavedRounds(2, 3);
        var manifest = Path.Combine(_folder.Path, "round-000003", "checkpoint.json");
        var text = File.ReadAllText(manifest);
        Assert.Contains(original, text);
        File.WriteAllText(manifest, text.Replace(original, altered, StringComparison.Ordinal));

        // when the newest checkpoint is loaded
        var (checkpoint, skipped) = folder.LoadNewest();

        // then the altered checkpoint is passed over, not misread
        Assert.Equal(2, checkpoint.Server.Round.Value);
        Assert.Contains("checkpoint.json does not match the SHA-256 in checkpoint.sha256", Assert.Single(skipped));
    }

    [Fact]
    public void LoadNewest_WhenNoCheckpointIsWhole_ThrowsNamingTheFolderAndEachProblem()
    {
        // given checkpoints of rounds 2 and 3, both damaged
        var folder = SavedRounds(2, 3);
        DamageFile(Path.Combine(_folder.Path, "round-000002", "history.json"), Damage.Truncated);
        File.Delete(Path.Combine(_folder.Path, "round-000003", "checkpoint.json"));
        var before = Contents();

        // when the newest checkpoint is loaded
        var error = Assert.Throws<InvalidDataException>(() => folder.LoadNewest());

        // then the error names the folder and what each candidate lacked, and the folder is as it was
        Assert.Contains($"checkpoint folder {folder.Path} holds no whole checkpoint", error.Message);
        Assert.Contains("round-000003: checkpoint.json is missing", error.Message);
        Assert.Contains("round-000002: history.json does not match the SHA-256", error.Message);
        Assert.Equal(before, Contents());
    }

    [Fact]
    public void LoadNewest_WhenTheFolderIsEmptyOrMissing_ThrowsSayingSo()
    {
        // given an empty folder and a missing one
        Directory.CreateDirectory(_folder.Path);
        var missing = Path.Combine(_folder.Path, "never-written");

        // when each is loaded
        var empty = Assert.Throws<InvalidDataException>(() => new CheckpointFolder(_folder.Path).LoadNewest());
        var absent = Assert.Throws<InvalidDataException>(() => new CheckpointFolder(missing).LoadNewest());

        // then each says what is wrong with which folder
        Assert.Contains($"checkpoint folder {_folder.Path} holds no checkpoint", empty.Message);
        Assert.Contains($"checkpoint folder {missing} does not exist", absent.Message);
    }

    [Fact]
    public void LoadNewest_WhenAWriteWasInterrupted_IgnoresItsTemporaryFolder()
    {
        // given a checkpoint of round 2 and the leftovers of a crashed write of round 3
        var folder = SavedRounds(2);
        var leftover = Directory.CreateDirectory(Path.Combine(_folder.Path, ".round-000003.0123456789abcdef.tmp"));
        File.WriteAllBytes(Path.Combine(leftover.FullName, "global.safetensors"), [1, 2, 3]);

        // when the newest checkpoint is loaded
        var (checkpoint, skipped) = folder.LoadNewest();

        // then round 2 is loaded, with nothing to report
        Assert.Equal((2, 0), (checkpoint.Server.Round.Value, skipped.Count));
    }

    public void Dispose() => _folder.Dispose();

    private CheckpointFolder SavedRounds(params int[] rounds)
    {
        var folder = new CheckpointFolder(_folder.Path);
        foreach (var round in rounds)
        {
            folder.Save(CheckpointOf(round));
        }

        return folder;
    }

    internal static Checkpoint CheckpointOf(int round)
    {
        var c1 = new ClientId("c1");
        var c2 = new ClientId("c2");
        var record = new RoundRecord(
            new RoundNumber(round), 1, 2, [c1, c2], [c1], [new ClientDrop(c2, RoundCoordinator.FitPhase, DropReason.TimedOut, "late")],
            0.5, 0.75, 1.0 / 3, null, new EvaluationSummary(1, 10, 0.25, 0.5), Scalars(("velocity-norm", 0.1)),
            [new PhaseRecord(RoundCoordinator.FitPhase, [c1, c2], [c1], [], DeadlineReached: true, TimeSpan.Zero)],
            null, [new Straggler(c2, RoundCoordinator.FitPhase, new RoundNumber(round), 1)], RoundTimings.Zero);
        var server = new RunCheckpoint(
            new RoundNumber(round),
            TestParameters.Of(round, -0f, float.Epsilon, 1f / 3, float.MaxValue, -round),
            [record],
            new StrategyState(TestParameters.Named(("velocity", TestParameters.Filled(-round))), Scalars(("steps", round))));
        ClientStateEntry[] clients =
        [
            new(c1, new RoundNumber(round), TestParameters.Named(("drift", TestParameters.Filled(round / 7f)))),
            new(c2, new RoundNumber(round - 1), NamedTensors.Empty),
        ];
        var run = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("config-hash", $"hash-{round}")]);
        return new Checkpoint(server, clients, run);
    }

    internal static void DamageFile(string path, Damage damage)
    {
        var bytes = File.ReadAllBytes(path);
        if (damage == Damage.Truncated)
        {
            File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        }
        else
        {
            bytes[^1] ^= 1;
            File.WriteAllBytes(path, bytes);
        }
    }

    // Every file below the folder with its content's hash and its last write time.
    private List<string> Contents() =>
        Directory.EnumerateFiles(_folder.Path, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => string.Create(
                CultureInfo.InvariantCulture,
                $"{Path.GetRelativePath(_folder.Path, f)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))} {File.GetLastWriteTimeUtc(f).Ticks}"))
            .ToList();

    private static ImmutableSortedDictionary<string, double> Scalars(params (string Name, double Value)[] entries) =>
        entries.ToImmutableSortedDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);

    private static string Json(ImmutableArray<RoundRecord> history) => JsonSerializer.Serialize(history.Select(r => r.WithoutTimings()));
}
