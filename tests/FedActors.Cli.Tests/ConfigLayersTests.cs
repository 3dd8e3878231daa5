using FedActors.Cli.Configuration;
using FedActors.Cli.Tests.Support;

namespace FedActors.Cli.Tests;

public sealed class ConfigLayersTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Load_WhenFileHasUnknownKeys_NamesEachKeyWithFileAndLine()
    {
        // given
        var file = _folder.File("typo.conf", "fedactors {\n  run {\n    rounds = 3\n    roudns = 4\n  }\n  simulation.modle = cnn\n}\n");

        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(file, []));

        // then
        Assert.Contains($"unknown configuration key 'fedactors.run.roudns' in {file}:4", e.Message, StringComparison.Ordinal);
        Assert.Contains($"unknown configuration key 'fedactors.simulation.modle' in {file}:6", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenSetOptionHasUnknownKey_NamesTheKeyAndTheOption()
    {
        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(null, [ConfigOverride.FromSetArgument("run.round=3")]));

        // then
        Assert.Contains("unknown configuration key 'fedactors.run.round' (set by --set run.round=3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenFileHasSyntaxError_NamesFileAndLine()
    {
        // given
        var file = _folder.File("broken.conf", "fedactors {\n  run {\n    rounds = \n  }\n}\n");

        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(file, []));

        // then
        Assert.Equal($"HOCON syntax error in {file}:3: the key 'rounds' has no value", e.Message);
    }

    [Fact]
    public void Load_WhenFileIsMissing_SaysSo()
    {
        // given
        var file = Path.Combine(_folder.Path, "nope.conf");

        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(file, []));

        // then
        Assert.StartsWith($"cannot read the configuration file {file}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenParallelismIsIllTyped_NamesKeyAndFile()
    {
        // given
        var file = _folder.File("ill.conf", "fedactors.training.parallelism = lots\n");

        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(file, []));

        // then
        Assert.Contains("configuration key 'fedactors.training.parallelism' is 'lots', but must be a whole number", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'fedactors.training.parallelism' is set by {file}:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenAllLayersSetKeys_OptionsBeatSetBeatFileBeatDefaults()
    {
        // given
        var file = _folder.File("layer.conf", "fedactors.run { rounds = 7, seed = 7 }\nfedactors.training.batch-size = 7\n");
        ConfigOverride[] overrides =
        [
            ConfigOverride.FromSetArgument("run.seed=8"),
            ConfigOverride.FromSetArgument("run.rounds=8"),
            new("run.rounds", "9", "--rounds 9"),
        ];

        // when
        var config = ConfigLayers.Load(file, overrides).Effective;

        // then
        Assert.Equal(9, config.GetInt("fedactors.run.rounds"));
        Assert.Equal(8, config.GetInt("fedactors.run.seed"));
        Assert.Equal(7, config.GetInt("fedactors.training.batch-size"));
        Assert.Equal(1, config.GetInt("fedactors.training.local-epochs"));
    }

    [Fact]
    public void Load_WhenNoFileAndNoOptions_GivesTheDefaults()
    {
        // when
        var layers = ConfigLayers.Load(null, []);

        // then
        Assert.Equal(5, layers.Effective.GetInt("fedactors.run.rounds"));
        Assert.Empty(layers.CommandLineOrigins);
    }

    [Fact]
    public void Load_WhenOnlyAFileIsGiven_LayersItOverTheDefaults()
    {
        // given
        var file = _folder.File("only.conf", "fedactors.run.rounds = 3\n");

        // when
        var config = ConfigLayers.Load(file, []).Effective;

        // then
        Assert.Equal((3, 42), (config.GetInt("fedactors.run.rounds"), config.GetInt("fedactors.run.seed")));
    }

    [Theory]
    [InlineData(null, "WARNING")]
    [InlineData("akka.loglevel=DEBUG", "DEBUG")]
    [InlineData("server.log-verbose=on", null)]
    public void Load_WhenUserSaysNothingAboutLogging_AkkaLogsWarningsOnly(string? set, string? expected)
    {
        // when
        var config = ConfigLayers.Load(null, set is null ? [] : [ConfigOverride.FromSetArgument(set)]).Effective;

        // then
        Assert.Equal(expected, config.HasPath("akka.loglevel") ? config.GetString("akka.loglevel") : null);
    }

    [Fact]
    public void SourceOf_WhenKeyComesFromEachLayer_NamesThatLayer()
    {
        // given
        var file = _folder.File("src.conf", "\nfedactors.run.seed = 7\n");
        var layers = ConfigLayers.Load(file, [new("run.rounds", "9", "--rounds 9")]);

        // when / then
        Assert.Equal("--rounds 9", layers.SourceOf("fedactors.run.rounds"));
        Assert.Equal($"{file}:2", layers.SourceOf("fedactors.run.seed"));
        Assert.Equal("the defaults (hocon/reference*.conf)", layers.SourceOf("fedactors.training.batch-size"));
    }

    [Theory]
    [InlineData("rounds")]
    [InlineData("=3")]
    public void FromSetArgument_WhenNotKeyEqualsValue_Throws(string argument)
    {
        // when
        var e = Assert.Throws<UsageException>(() => ConfigOverride.FromSetArgument(argument));

        // then
        Assert.Contains("must have the form key=value", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenAkkaRejectsWhatTheOutlineAccepts_NamesFileAndLine()
    {
        // given: Akka's parser does not take a comma after an inline object
        var file = _folder.File("comma.conf", "# first\nfedactors { training { batch-size = 16 }, run.rounds = 4 }\n");

        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(file, []));

        // then
        Assert.StartsWith($"HOCON syntax error in {file}:2: Unknown token at position", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WhenSetValueIsMalformed_NamesTheOption()
    {
        // when
        var e = Assert.Throws<UsageException>(() => ConfigLayers.Load(null, [ConfigOverride.FromSetArgument("simulation.dataset.directory=\"/tmp")]));

        // then
        Assert.StartsWith("HOCON syntax error in the option --set simulation.dataset.directory=\"/tmp", e.Message, StringComparison.Ordinal);
    }
}
