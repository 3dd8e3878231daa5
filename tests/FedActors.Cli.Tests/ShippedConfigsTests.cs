using FedActors.Cli.Configuration;

namespace FedActors.Cli.Tests;

/// <summary>The configuration files shipped in hocon/, read the way a user's run reads them.</summary>
public sealed class ShippedConfigsTests
{
    /// <summary>The repository's hocon/ folder.</summary>
    internal static readonly string Hocon = Path.Combine(FindRepositoryRoot(), "hocon");

    public static TheoryData<string> OverrideFiles() =>
        [.. Directory.GetFiles(Hocon, "*.conf").Select(Path.GetFileName).OfType<string>().Where(f => !f.StartsWith("reference", StringComparison.Ordinal)).Order()];

    public static TheoryData<string> ReferenceFiles() =>
        [.. Directory.GetFiles(Hocon, "reference*.conf").Select(Path.GetFileName).OfType<string>().Order()];

    [Theory]
    [MemberData(nameof(OverrideFiles))]
    public void ShippedConfig_ReadThroughTheRealConfigurationPath_HasNoUnknownKeyAndChecksOut(string file)
    {
        // given a shipped --config file
        var path = Path.Combine(Hocon, file);

        // when it is layered and checked as `fedactors simulate --config FILE` does
        var settings = SimulationSettings.Read(ConfigLayers.Load(path, []).Effective);

        // then it names a real output folder and its own rounds
        Assert.StartsWith("fedactors-output", settings.OutputDirectory, StringComparison.Ordinal);
        Assert.True(settings.Server.Rounds > 1);
    }

    [Fact]
    public void ShippedConfigs_SeedAndCnn_SetWhatTheirFiguresNeed()
    {
        // given the two configs README quotes figures for
        var seed = SimulationSettings.Read(ConfigLayers.Load(Path.Combine(Hocon, "seed-example.conf"), []).Effective);
        var cnn = SimulationSettings.Read(ConfigLayers.Load(Path.Combine(Hocon, "cnn-paper.conf"), []).Effective);

        // then they are the settings those figures were measured with, federated evaluation off
        Assert.Equal(("logistic-regression", 10, 10, 2, 0.01f, 0.0), (seed.Model, seed.Server.Rounds, seed.Clients, seed.SampledPerRound, seed.Server.Training.LearningRate, seed.Server.FractionEvaluate));
        Assert.Equal(("cnn", 20, 100, 10, 0.1f, 0.0), (cnn.Model, cnn.Server.Rounds, cnn.Clients, cnn.SampledPerRound, cnn.Server.Training.LearningRate, cnn.Server.FractionEvaluate));
    }

    [Fact]
    public void ShippedConfig_NiidBench_IsTheSettingFlowersBaselineReproduced()
    {
        // given the config the benchmark's published figures were measured with
        var niid = SimulationSettings.Read(ConfigLayers.Load(Path.Combine(Hocon, "niid-bench.conf"), []).Effective);

        // then 10 clients, all sampled each round, 50 rounds of 10 local epochs, batch 64, SGD lr 0.01, momentum 0.9, weight decay 1e-5, the NIID-Bench CNN
        var training = niid.Server.Training;
        Assert.Equal((10, 10, 10, 10, 50), (niid.Clients, niid.SampledPerRound, niid.Server.MinFitClients, niid.Server.MinAvailableClients, niid.Server.Rounds));
        Assert.Equal((10, 64, 0.01f, 0.9f, 1e-5f), (training.LocalEpochs, training.BatchSize, training.LearningRate, training.Momentum, training.WeightDecay));
        Assert.Equal(("niid-cnn", "fedavg", 0.0), (niid.Model, niid.Strategy.Name, niid.Server.FractionEvaluate));
    }

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void ReferenceFile_EveryLeafKey_IsPrecededByAComment(string file)
    {
        // given a reference file's text
        var lines = File.ReadAllLines(Path.Combine(Hocon, file)).Select(l => l.Trim()).ToArray();

        // when each "key = value" line is looked at
        var undocumented = new List<string>();
        for (var i = 1; i < lines.Length; i++)
        {
            var isLeaf = lines[i].Contains(" = ", StringComparison.Ordinal) && !lines[i].StartsWith('#') && !lines[i].StartsWith('"');
            var previous = lines[..i].Reverse().SkipWhile(string.IsNullOrEmpty).FirstOrDefault() ?? string.Empty;
            var groupedWithDocumentedKey = previous.Contains(" = ", StringComparison.Ordinal);
            if (isLeaf && !previous.StartsWith('#') && !groupedWithDocumentedKey && !lines[i].StartsWith("fedactors", StringComparison.Ordinal))
            {
                undocumented.Add(lines[i]);
            }
        }

        // then none lacks a comment (a key directly under a documented key shares its comment)
        Assert.Empty(undocumented);
    }

    private static string FindRepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "FedActors.sln")))
        {
            folder = folder.Parent;
        }

        return folder?.FullName ?? throw new InvalidOperationException("FedActors.sln not found above " + AppContext.BaseDirectory);
    }
}
