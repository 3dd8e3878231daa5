using FedActors.Cli.Configuration;

namespace FedActors.Cli.Tests;

public sealed class HoconOutlineTests
{
    [Fact]
    public void LineOf_WhenKeysAreNestedAndDotted_GivesTheLineOfEachKey()
    {
        // given
        const string text = "# a comment\nfedactors {\n  run {\n    rounds = 3 // trailing\n  }\n  simulation.partitioning.alpha = 0.1\n}\n";

        // when
        var outline = HoconOutline.Parse(text);

        // then
        Assert.Equal(4, outline.LineOf("fedactors.run.rounds"));
        Assert.Equal(6, outline.LineOf("fedactors.simulation.partitioning.alpha"));
        Assert.Equal(3, outline.LineOf("fedactors.run"));
        Assert.Null(outline.LineOf("fedactors.server"));
    }

    [Theory]
    [InlineData("a {\n  b = 1\n", 3, "'{' opened on line 1 is never closed")]
    [InlineData("a = 1\n}\n", 2, "unexpected '}'")]
    [InlineData("a {\n  b =\n}\n", 2, "the key 'b' has no value")]
    [InlineData("a {\n  b = \"open\n}\n", 2, "quoted string is not closed")]
    [InlineData("a = [1, 2\n", 2, "'[' opened on line 1 is never closed")]
    [InlineData("a {\n\n  b 1\n}\n", 3, "expected '=', ':' or '{' after the key 'b'")]
    public void Parse_WhenTextIsMalformed_ThrowsWithTheLine(string text, int line, string message)
    {
        // when
        var e = Assert.Throws<HoconSyntaxException>(() => HoconOutline.Parse(text));

        // then
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a = 1, b = \"x, y\"\nc { d = [1, {e = 2}, \"3\"] }\n")]
    [InlineData("{\n  a : 1\n  b += 2\n}\n")]
    [InlineData("a = ${b}\nb = 10 s\ninclude \"other.conf\"\n")]
    [InlineData("a = \"\"\"multi\nline\"\"\"\nb = 2\n")]
    [InlineData("akka.actor.serialization-bindings { \"FedActors.Core.Protocol.IFedActorsMessage, FedActors.Core\" = fedactors }\n")]
    public void Parse_WhenTextIsValidHocon_Accepts(string text)
    {
        // when
        var e = Record.Exception(() => HoconOutline.Parse(text));

        // then
        Assert.Null(e);
    }

    [Fact]
    public void Parse_WhenGivenTheShippedFiles_Accepts()
    {
        // given
        var hocon = Path.Combine(RepositoryRoot(), "hocon");

        // when
        var failures = Directory.GetFiles(hocon, "*.conf")
            .Select(f => (File: f, Error: Record.Exception(() => HoconOutline.Parse(File.ReadAllText(f)))))
            .Where(x => x.Error is not null)
            .Select(x => $"{x.File}: {x.Error!.Message}");

        // then
        Assert.Empty(failures);
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FedActors.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FedActors.sln not found above " + AppContext.BaseDirectory);
    }
}
