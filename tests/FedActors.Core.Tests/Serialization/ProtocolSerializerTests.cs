using System.Collections.Immutable;
using System.Runtime.Serialization;
using Akka.Serialization;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tensors;
using FedActors.Core.Tests.Support;
using FedActors.Core.Training;

namespace FedActors.Core.Tests.Serialization;

public sealed class ProtocolSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly ImmutableSortedDictionary<string, Parameters> Extras =
        NamedTensors.Empty.Add("control", TestParameters.Of(1, 2, 3, 4, 5, 6));

    public ProtocolSerializerTests()
        : base(TestConfigs.RealTime())
    {
    }

    public static TheoryData<IFedActorsMessage> Messages() =>
    [
        new RegisterClient(new ClientId("hospital-7")),
        new ClientRegistered(new ClientId("hospital-7")),
        new FitRequest(
            new RoundNumber(3),
            2,
            TestParameters.Of(1.5f, -2, float.Epsilon, 4, 5, 6),
            new FitConfig(2, 32, 0.01f, 0.9f, 1e-4f, NamedTensors.NoHyperparameters.Add("mu", 0.01)),
            12345,
            Extras,
            TimeSpan.FromSeconds(90)),
        new FitResult(new ClientId("bank-1"), new RoundNumber(9), 1, TestParameters.Of(6, 5, 4, 3, 2, 1), 600, 0.25, 0.875, Extras, NamedTensors.NoHyperparameters.Add("clipped", 1)),
        new EvaluateRequest(new RoundNumber(4), 1, TestParameters.Of(1, 2, 3, 4, 5, 6), TimeSpan.FromMilliseconds(1500)),
        new EvaluateResult(new ClientId("bank-1"), new RoundNumber(4), 1, 120, 0.5, 0.75),
        new ClientFailed(new ClientId("device-42"), new RoundNumber(1), 3, "fit", "InvalidOperationException: disk full", Cancelled: false),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serializer_ForEveryProtocolMessage_IsChosenAndRoundTripsIt(IFedActorsMessage message)
    {
        // given the actor system's serialization
        var serializer = Sys.Serialization.FindSerializerFor(message);

        // when the message is serialized and read back
        var bytes = serializer.ToBinary(message);
        var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, ((SerializerWithStringManifest)serializer).Manifest(message));

        // then FedActors' serializer was chosen and the message is unchanged
        Assert.IsType<ProtocolSerializer>(serializer);
        Assert.Equal(Describe(message), Describe(back));
    }

    [Fact]
    public void Serializer_ForParameters_WritesRawFloatsNotText()
    {
        // given a fit result carrying one million parameters
        var layout = new ParameterLayout([new TensorSpec("w", [1000, 1000])]);
        var message = new FitResult(new ClientId("c"), new RoundNumber(1), 1, Parameters.Zeros(layout), 1, 0, 0, NamedTensors.Empty, NamedTensors.NoHyperparameters);

        // when serialized
        var bytes = Sys.Serialization.FindSerializerFor(message).ToBinary(message);

        // then it costs four bytes a parameter plus a small header
        Assert.InRange(bytes.Length, 4_000_000, 4_000_100);
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Serializer_WhenThePayloadIsTruncated_FailsSayingSoAndNamingTheMessage(IFedActorsMessage message)
    {
        // given a serialized message missing its last byte
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);

        // when it is read
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^1], serializer.Manifest(message)));

        // then the error says what was wrong with which message
        Assert.Contains("truncated", error.Message);
        Assert.Contains(message.GetType().Name, error.Message);
    }

    [Fact]
    public void Serializer_WhenALengthFieldIsCorrupt_FailsWithoutAllocatingIt()
    {
        // given a fit result whose tensor count field says two billion
        var message = new FitResult(new ClientId("c"), new RoundNumber(1), 1, TestParameters.Filled(1), 1, 0, 0, NamedTensors.Empty, NamedTensors.NoHyperparameters);
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        BitConverter.TryWriteBytes(bytes.AsSpan(1 + 1 + 4 + 4), int.MaxValue); // after id, round and attempt

        // when it is read
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(message)));

        // then the error names the field
        Assert.Contains("tensor count", error.Message);
    }

    [Fact]
    public void Serializer_WhenTheManifestIsUnknown_FailsNamingIt()
    {
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(new RegisterClient(new ClientId("c")));
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary([1, 2, 3], "ZZ"));
        Assert.Contains("'ZZ'", error.Message);
    }

    [Fact]
    public void Serializer_WhenThePayloadIsOfAnotherWireVersion_FailsNamingBothVersions()
    {
        // given a registration written by a node of another wire version (the first byte)
        var message = new RegisterClient(new ClientId("hospital-7"));
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var bytes = serializer.ToBinary(message);
        bytes[0] = 1;

        // when it is read / then the error says so instead of misreading the bytes
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(message)));
        Assert.Contains($"RegisterClient is of wire version 1, but this node speaks version {ProtocolSerializer.WireVersion}", error.Message);
    }

    // Records holding Parameters or immutable collections compare by reference: compare a full rendering.
    private static string Describe(object message) => message switch
    {
        FitRequest m => $"{m.Round}|{m.Attempt}|{Render(m.Global)}|{m.Config with { Hyperparameters = NamedTensors.NoHyperparameters }}|{string.Join(",", m.Config.Hyperparameters)}|{m.Seed}|{Render(m.Extras)}|{m.Timeout.Ticks}",
        FitResult m => $"{m.Client}|{m.Round}|{m.Attempt}|{Render(m.Updated)}|{m.SampleCount}|{m.Loss}|{m.Accuracy}|{Render(m.Extras)}|{string.Join(",", m.Metrics)}",
        EvaluateRequest m => $"{m.Round}|{m.Attempt}|{Render(m.Global)}|{m.Timeout.Ticks}",
        _ => message.ToString()!,
    };

    private static string Render(Parameters p) =>
        string.Join(";", p.Layout.Tensors) + "=" + string.Join(",", p.Values.ToArray().Select(v => BitConverter.SingleToInt32Bits(v)));

    private static string Render(ImmutableSortedDictionary<string, Parameters> map) =>
        string.Join("&", map.Select(kv => kv.Key + ":" + Render(kv.Value)));

    [Theory]
    [MemberData(nameof(Messages))]
    public void ARequest_SplitAroundItsGlobalModel_ConcatenatesToItsPayload(IFedActorsMessage message)
    {
        // given a protocol message and the payload the serializer gives it
        var serializer = (SerializerWithStringManifest)Sys.Serialization.FindSerializerFor(message);
        var payload = serializer.ToBinary(message);

        // when it is split around its global model
        var split = ProtocolSerializer.TrySplitAroundGlobal(message, out var global, out var before, out var after);

        // then a request's parts, the model encoded on its own between them, are its payload byte for byte; other messages do not split
        Assert.Equal(message is FitRequest or EvaluateRequest, split);
        if (split)
        {
            Assert.Equal(payload, before.Concat(ProtocolSerializer.EncodeParameters(global!)).Concat(after).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void EveryMessage_ReadFromPartsFromASliceOrFromARentedBuffer_IsTheMessageToBinaryGives(IFedActorsMessage message)
    {
        // given a message, its payload, and the same bytes rented, sliced out of a larger buffer and cut in three
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(message);
        var manifest = serializer.Manifest(message);
        var payload = serializer.ToBinary(message);
        using var pooled = serializer.ToPooled(message);
        var padded = new byte[payload.Length + 9];
        payload.CopyTo(padded, 4);
        int third = payload.Length / 3, twoThirds = 2 * payload.Length / 3;

        // when each is read, then it is the same message, and the rented bytes are the payload's
        Assert.Equal(payload, pooled.Memory.ToArray());
        Assert.Equal(Describe(message), Describe((IFedActorsMessage)serializer.FromMemory(padded.AsMemory(4, payload.Length), manifest)));
        Assert.Equal(Describe(message), Describe((IFedActorsMessage)serializer.FromParts(payload.AsMemory(0, third), payload.AsMemory(third, twoThirds - third), payload.AsMemory(twoThirds), manifest)));
    }

    [Fact]
    public void ARequestReadFromParts_WithItsModelCutShort_FailsAsTruncated_AndWithABytePastItsEnd_NamesTheTrailingByte()
    {
        // given a fit request split around its model
        var request = new FitRequest(new RoundNumber(2), 1, Parameters.Wrap(new ParameterLayout([new TensorSpec("w", [64])]), [.. Enumerable.Range(0, 64).Select(i => (float)i)]), new FitConfig(1, 8, 0.1f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), 3, ImmutableSortedDictionary<string, Parameters>.Empty, TimeSpan.FromSeconds(5));
        var serializer = (ProtocolSerializer)Sys.Serialization.FindSerializerFor(request);
        Assert.True(ProtocolSerializer.TrySplitAroundGlobal(request, out var global, out var before, out var after));
        var model = ProtocolSerializer.EncodeParameters(global!);

        // when the model is 4 bytes short, or one byte follows the request's end, then each read fails saying which
        var truncated = Assert.Throws<SerializationException>(() => serializer.FromParts(before, model.AsMemory(0, model.Length - 4), after, serializer.Manifest(request)));
        Assert.Contains("FitRequest payload is truncated", truncated.Message);
        var trailing = Assert.Throws<SerializationException>(() => serializer.FromParts(before, model, (byte[])[.. after, 7], serializer.Manifest(request)));
        Assert.Contains("FitRequest payload has 1 unexpected trailing bytes", trailing.Message);
    }
}
