using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using FedActors.Core.Tensors;

namespace FedActors.Core.Tests.Tensors;

public sealed class SafetensorsFileTests
{
    private static readonly ParameterLayout ModelLayout = new([
        new TensorSpec("fc1.weight", [2, 3]),
        new TensorSpec("fc1.bias", [3]),
        new TensorSpec("temperature", []),
    ]);

    private static readonly Dictionary<string, string> RunMetadata = new()
    {
        ["format"] = "pt",
        ["round"] = "7",
        ["note"] = "naïve + \"quoted\"",
    };

    [Fact]
    public void Read_OfWrittenParameters_ReturnsTheSameNamesShapesValuesAndMetadata()
    {
        // given
        var model = Model(offset: 0);
        var bytes = WriteToBytes(model, RunMetadata);

        // when
        var read = SafetensorsFile.Read(bytes);

        // then
        Assert.True(ModelLayout.Matches(read.Tensors.Layout), ModelLayout.DescribeMismatch(read.Tensors.Layout));
        Assert.Equal(model.Values.ToArray(), read.Tensors.Values.ToArray());
        Assert.Equal([10f], read.Tensors.Tensor("temperature").ToArray());
        Assert.Equal(RunMetadata.OrderBy(m => m.Key, StringComparer.Ordinal), read.Metadata);
    }

    [Fact]
    public void Read_OfParametersWrittenWithoutMetadata_HasEmptyMetadataAndTheHeaderNoMetadataKey()
    {
        // given
        var bytes = WriteToBytes(Model(offset: 0), metadata: null);

        // when
        var read = SafetensorsFile.Read(bytes);
        using var header = HeaderOf(bytes);

        // then
        Assert.Empty(read.Metadata);
        Assert.False(header.RootElement.TryGetProperty("__metadata__", out _));
    }

    [Fact]
    public void ReadMap_OfAWrittenMap_ReturnsEveryEntryUnderItsKeyWithItsMetadata()
    {
        // given: keys may nest with '/', as a client-state store does
        var map = NamedTensors.Empty
            .Add("client-3", Model(offset: 0))
            .Add("client-10", Model(offset: 100))
            .Add("client-3/ctrl", Parameters.Wrap(new ParameterLayout([new TensorSpec("c", [2])]), [7f, 8f]));
        var stream = new MemoryStream();
        SafetensorsFile.WriteMap(stream, map, RunMetadata);

        // when
        var read = SafetensorsFile.ReadMap(stream.ToArray());

        // then
        Assert.Equal(map.Keys, read.Tensors.Keys);
        foreach (var (key, expected) in map)
        {
            Assert.True(expected.Layout.Matches(read.Tensors[key].Layout), key);
            Assert.Equal(expected.Values.ToArray(), read.Tensors[key].Values.ToArray());
        }

        Assert.Equal("7", read.Metadata["round"]);
    }

    [Fact]
    public void Read_OfAWrittenMap_ListsPrefixedNamesInOrdinalKeyOrder()
    {
        // given
        var map = NamedTensors.Empty.Add("b", Model(offset: 0)).Add("a", Model(offset: 50));
        var stream = new MemoryStream();
        SafetensorsFile.WriteMap(stream, map);

        // when
        var flat = SafetensorsFile.Read(stream.ToArray());

        // then
        Assert.Equal(
            ["a/fc1.weight", "a/fc1.bias", "a/temperature", "b/fc1.weight", "b/fc1.bias", "b/temperature"],
            flat.Tensors.Layout.Tensors.Select(t => t.Name));
        Assert.Equal(map["a"].Values.ToArray(), flat.Tensors.Values[..ModelLayout.TotalLength].ToArray());
    }

    [Fact]
    public void ReadMap_OfAnEmptyWrittenMap_IsEmpty()
    {
        // given
        var stream = new MemoryStream();
        SafetensorsFile.WriteMap(stream, NamedTensors.Empty, new Dictionary<string, string> { ["kind"] = "client-state" });

        // when
        var read = SafetensorsFile.ReadMap(stream.ToArray());

        // then
        Assert.Empty(read.Tensors);
        Assert.Equal("client-state", read.Metadata["kind"]);
    }

    [Fact]
    public void Read_FromAPathAndFromStreams_ReturnsWhatWasWritten()
    {
        // given
        var model = Model(offset: 0);
        var path = Path.Combine(Path.GetTempPath(), $"fedactors-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafetensorsFile.Write(path, model, RunMetadata);

            // when
            var fromPath = SafetensorsFile.Read(path);
            using var seekable = File.OpenRead(path);
            var fromSeekable = SafetensorsFile.Read(seekable);
            var fromPipe = SafetensorsFile.Read(new ForwardOnlyStream(File.ReadAllBytes(path)));

            // then
            foreach (var read in new[] { fromPath, fromSeekable, fromPipe })
            {
                Assert.True(ModelLayout.Matches(read.Tensors.Layout));
                Assert.Equal(model.Values.ToArray(), read.Tensors.Values.ToArray());
                Assert.Equal("pt", read.Metadata["format"]);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_OfAFileBuiltByHandFromTheSpec_ReturnsItsTensorsInDataOrder()
    {
        // given: the header lists "bias" first, but its data comes second; padded with spaces
        var header = """{"__metadata__":{"format":"pt"},"bias":{"dtype":"F32","shape":[2],"data_offsets":[16,24]},"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}   """;
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + headerBytes.Length + 24];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)headerBytes.Length);
        headerBytes.CopyTo(file, 8);
        float[] data = [1.5f, -2f, 3.25f, 4f, 0.5f, -0.125f];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(file.AsSpan(8 + headerBytes.Length + (4 * i)), data[i]);
        }

        // when
        var read = SafetensorsFile.Read(file);

        // then
        Assert.Equal(["weight", "bias"], read.Tensors.Layout.Tensors.Select(t => t.Name));
        Assert.Equal([2, 2], read.Tensors.Layout.Tensors[0].Shape.ToArray());
        Assert.Equal([1.5f, -2f, 3.25f, 4f], read.Tensors.Tensor("weight").ToArray());
        Assert.Equal([0.5f, -0.125f], read.Tensors.Tensor("bias").ToArray());
        Assert.Equal("pt", Assert.Single(read.Metadata).Value);
    }

    [Fact]
    public void Write_Always_WritesAHeaderOfExactlyTheSpecsFieldsAndLittleEndianData()
    {
        // given
        var model = Model(offset: 0);

        // when
        var bytes = WriteToBytes(model, RunMetadata);

        // then
        using var header = HeaderOf(bytes);
        var root = header.RootElement;
        Assert.Equal(["__metadata__", "fc1.weight", "fc1.bias", "temperature"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(RunMetadata.Count, root.GetProperty("__metadata__").EnumerateObject().Count(p => p.Value.ValueKind == JsonValueKind.String));
        Assert.Equal(RunMetadata["note"], root.GetProperty("__metadata__").GetProperty("note").GetString());
        long expectedBegin = 0;
        foreach (var spec in ModelLayout.Tensors)
        {
            var tensor = root.GetProperty(spec.Name);
            Assert.Equal(["dtype", "shape", "data_offsets"], tensor.EnumerateObject().Select(p => p.Name));
            Assert.Equal("F32", tensor.GetProperty("dtype").GetString());
            Assert.Equal(spec.Shape, tensor.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
            Assert.Equal([expectedBegin, expectedBegin + (4L * spec.Length)], tensor.GetProperty("data_offsets").EnumerateArray().Select(o => o.GetInt64()));
            expectedBegin += 4L * spec.Length;
        }

        var dataStart = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(dataStart + expectedBegin, bytes.Length);
        for (var i = 0; i < model.Length; i++)
        {
            Assert.Equal(model.Values[i], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (4 * i))));
        }
    }

    [Theory]
    [InlineData("a")]
    [InlineData("ab")]
    [InlineData("abc")]
    [InlineData("abcd")]
    [InlineData("abcde")]
    [InlineData("abcdef")]
    [InlineData("abcdefg")]
    [InlineData("abcdefgh")]
    public void Write_WhateverTheHeaderLength_StartsTheDataAtAMultipleOf8PaddedWithSpaces(string name)
    {
        // given
        var parameters = Parameters.Wrap(new ParameterLayout([new TensorSpec(name, [1])]), [1f]);

        // when
        var bytes = WriteToBytes(parameters, metadata: null);

        // then
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + headerLength) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, headerLength);
        Assert.Equal(header.TrimEnd(' ').Length, header.LastIndexOf('}') + 1);
        Assert.True(header.Length - header.TrimEnd(' ').Length < 8);
    }

    [Fact]
    public void WriteMap_WhenATensorNameContainsTheSeparator_IsRejected()
    {
        // given
        var map = NamedTensors.Empty.Add("client-3", Parameters.Wrap(new ParameterLayout([new TensorSpec("dense/kernel", [1])]), [1f]));

        // when
        var error = Assert.Throws<ArgumentException>(() => SafetensorsFile.WriteMap(new MemoryStream(), map));

        // then
        Assert.Contains("'dense/kernel'", error.Message);
    }

    [Fact]
    public void Write_WhenATensorIsNamedLikeTheMetadataKey_IsRejectedBeforeTheFileIsTouched()
    {
        // given
        var path = Path.Combine(Path.GetTempPath(), $"fedactors-{Guid.NewGuid():N}.safetensors");
        File.WriteAllText(path, "previous checkpoint");
        var parameters = Parameters.Wrap(new ParameterLayout([new TensorSpec("__metadata__", [1])]), [1f]);
        try
        {
            // when
            var error = Assert.Throws<ArgumentException>(() => SafetensorsFile.Write(path, parameters));

            // then
            Assert.Contains("reserves", error.Message);
            Assert.Equal("previous checkpoint", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void WriteMap_WhenAKeyIsEmpty_IsRejected()
    {
        // given
        var map = NamedTensors.Empty.Add(string.Empty, Model(offset: 0));

        // when
        var error = Assert.Throws<ArgumentException>(() => SafetensorsFile.WriteMap(new MemoryStream(), map));

        // then
        Assert.Contains("must not be empty", error.Message);
    }

    [Fact]
    public void Read_WhenFewerThan8BytesArePresent_NamesTheTruncatedHeaderLength()
    {
        Assert.Contains("too short for the 8-byte header length", ReadError([1, 0, 0, 0, 0]));
    }

    [Theory]
    [InlineData(1000UL)]
    [InlineData(ulong.MaxValue)]
    public void Read_WhenTheHeaderLengthExceedsTheFile_SaysSoWithoutAllocatingIt(ulong declared)
    {
        // given
        var bytes = new byte[8 + 16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);

        // when
        var error = ReadError(bytes);

        // then
        Assert.Contains($"header length {declared} is larger than the 16 bytes", error);
    }

    [Theory]
    [InlineData("{not json}", "not valid JSON")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", "not valid JSON")]
    [InlineData("[1, 2]", "does not start with '{'")]
    [InlineData("", "the header is empty")]
    public void Read_WhenTheHeaderIsNotAJsonObject_SaysSo(string header, string expected)
    {
        Assert.Contains(expected, ReadError(FileOf(header, dataBytes: 4)));
    }

    [Fact]
    public void Read_WhenTheHeaderIsNotUtf8_SaysSo()
    {
        // given: a tensor name with a lone continuation byte
        var header = Encoding.UTF8.GetBytes("""{"a?":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""");
        header[3] = 0x80;

        // when
        var error = ReadError(FileOf(header, dataBytes: 4));

        // then
        Assert.Contains("not valid UTF-8", error);
    }

    [Theory]
    [InlineData("""{"a":{"shape":[1],"data_offsets":[0,4]}}""", "tensor 'a' has no \"dtype\"")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,4]}}""", "tensor 'a' has no \"shape\"")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", "tensor 'a' has no \"data_offsets\"")]
    [InlineData("""{"a":[1]}""", "tensor 'a' is an array, not an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", "not two non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}""", "not two non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}""", "not all non-negative integers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", "cannot hold empty tensors")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "has the field 'dtype' twice")]
    [InlineData("""{"__metadata__":{"round":7},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "metadata values must be strings")]
    public void Read_WhenAFieldIsMissingOrMalformed_NamesTheTensorAndTheField(string header, string expected)
    {
        Assert.Contains(expected, ReadError(FileOf(header, dataBytes: 4)));
    }

    [Theory]
    [InlineData("F16")]
    [InlineData("I64")]
    [InlineData("Q9_UNKNOWN")]
    public void Read_WhenADtypeIsNotF32_NamesTheDtype(string dtype)
    {
        // given
        var header = """{"a":{"dtype":""" + JsonSerializer.Serialize(dtype) + ""","shape":[1],"data_offsets":[0,4]}}""";

        // when
        var error = ReadError(FileOf(header, dataBytes: 4));

        // then
        Assert.Contains($"tensor 'a' has dtype '{dtype}'; only F32 can be read", error);
    }

    [Theory]
    [InlineData("[3]", "[0,8]", 8, "shape [3] (3 F32 values) but data_offsets [0, 8] hold 8 bytes")]
    [InlineData("[]", "[0,8]", 8, "shape [] (1 F32 values) but data_offsets [0, 8] hold 8 bytes")]
    [InlineData("[2147483647,2147483647,2147483647]", "[0,8]", 8, "but data_offsets [0, 8] hold 8 bytes")]
    public void Read_WhenAShapeDoesNotMatchItsOffsets_SaysBoth(string shape, string offsets, int dataBytes, string expected)
    {
        // given
        var header = """{"a":{"dtype":"F32","shape":""" + shape + ""","data_offsets":""" + offsets + "}}";

        // when
        var error = ReadError(FileOf(header, dataBytes));

        // then
        Assert.Contains(expected, error);
    }

    [Theory]
    [InlineData("[0,16]", 8, "data_offsets [0, 16], out of range of the 8-byte data buffer")]
    [InlineData("[18446744073709551608,18446744073709551612]", 8, "out of range of the 8-byte data buffer")]
    [InlineData("[8,4]", 8, "end before they begin")]
    public void Read_WhenOffsetsLeaveTheDataBuffer_SaysTheyAreOutOfRange(string offsets, int dataBytes, string expected)
    {
        // given
        var header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":""" + offsets + "}}";

        // when
        var error = ReadError(FileOf(header, dataBytes));

        // then
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Read_WhenTwoTensorsOverlap_NamesBoth()
    {
        // given
        var header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";

        // when
        var error = ReadError(FileOf(header, dataBytes: 12));

        // then
        Assert.Contains("tensors 'a' [0, 8] and 'b' [4, 12] overlap", error);
    }

    [Fact]
    public void Read_WhenBytesBetweenTensorsBelongToNone_NamesTheGap()
    {
        // given
        var header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";

        // when
        var error = ReadError(FileOf(header, dataBytes: 12));

        // then
        Assert.Contains("bytes [4, 8) of the data buffer belong to no tensor", error);
    }

    [Fact]
    public void Read_WhenTrailingBytesBelongToNoTensor_SaysHowMany()
    {
        Assert.Contains(
            "the last 4 bytes of the 8-byte data buffer belong to no tensor (trailing bytes)",
            ReadError(FileOf("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", dataBytes: 8)));
    }

    [Fact]
    public void Read_WhenANameAppearsTwice_NamesIt()
    {
        // given
        var header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""";

        // when
        var error = ReadError(FileOf(header, dataBytes: 8));

        // then
        Assert.Contains("the header has the key 'a' twice", error);
    }

    [Fact]
    public void Read_WhenTheFileHoldsNoTensors_SaysSo()
    {
        Assert.Contains("it holds no tensors", ReadError(FileOf("""{"__metadata__":{}}""", dataBytes: 0)));
    }

    [Fact]
    public void ReadMap_WhenATensorHasNoKeyPrefix_NamesIt()
    {
        // given
        var bytes = FileOf("""{"weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", dataBytes: 4);

        // when
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.ReadMap(bytes)).Message;

        // then
        Assert.Contains("tensor 'weight' is not named 'key/tensor'", error);
    }

    [Fact]
    public void Read_FromACorruptFile_NamesTheFileAndTheProblem()
    {
        // given
        var path = Path.Combine(Path.GetTempPath(), $"fedactors-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(path, WriteToBytes(Model(offset: 0), metadata: null)[..^4]);
        try
        {
            // when
            var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(path)).Message;

            // then
            Assert.StartsWith($"safetensors file '{path}': ", error);
            Assert.Contains("out of range", error);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Read_FromACorruptForwardOnlyStream_SaysWhatIsWrong()
    {
        // given
        var bytes = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1UL << 40);

        // when
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(new ForwardOnlyStream(bytes))).Message;

        // then
        Assert.Contains("larger than the 4 bytes", error);
    }

    /// <summary>Parameters of <see cref="ModelLayout"/> holding offset+1 .. offset+10.</summary>
    private static Parameters Model(int offset) =>
        Parameters.Wrap(ModelLayout, Enumerable.Range(offset + 1, ModelLayout.TotalLength).Select(v => (float)v).ToArray());

    private static byte[] WriteToBytes(Parameters parameters, IReadOnlyDictionary<string, string>? metadata)
    {
        var stream = new MemoryStream();
        SafetensorsFile.Write(stream, parameters, metadata);
        return stream.ToArray();
    }

    private static JsonDocument HeaderOf(byte[] bytes)
    {
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return JsonDocument.Parse(bytes.AsMemory(8, length));
    }

    private static byte[] FileOf(string header, int dataBytes) => FileOf(Encoding.UTF8.GetBytes(header), dataBytes);

    private static byte[] FileOf(byte[] header, int dataBytes)
    {
        var file = new byte[8 + header.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)header.Length);
        header.CopyTo(file, 8);
        return file;
    }

    private static string ReadError(byte[] bytes) => Assert.Throws<InvalidDataException>(() => SafetensorsFile.Read(bytes)).Message;

    /// <summary>A stream that cannot seek or tell its length, like a pipe or a network stream.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes, writable: false);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
