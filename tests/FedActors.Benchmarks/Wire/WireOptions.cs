using System.Globalization;

namespace FedActors.Benchmarks.Wire;

/// <summary>Settings of the <c>wire</c> bench command.</summary>
/// <param name="Parameters">The update's size, in float32 parameters (one tensor).</param>
/// <param name="Repeats">Measured transfers per path, after three for warm-up.</param>
/// <param name="ChunkSizes">The chunk sizes to measure the Akka paths with, in bytes.</param>
public sealed record WireOptions(int Parameters, int Repeats, IReadOnlyList<int> ChunkSizes)
{
    /// <summary>True for mutual TLS on every path (--tls on), the baseline a TLS socket with the same certificates.</summary>
    public bool Tls { get; init; }

    public const string Help = """
        wire: one model-sized message between two actor systems on loopback, through FedActors'
        real cluster path, against the same bytes over a plain TCP socket, side by side, each
        repeated, with medians and the ratio to TCP:
          tcp       the upload's serialized bytes written to a TCP socket and read on the other end;
          upload    a FitResult from a client node to the server, from the client's reply to the
                    coordinator's mailbox: on the bulk channel (the default: encoded, one frame,
                    read and decoded), then with the channel off, as ServerLink's chunks through
                    ClusterClient and the receptionist to the gateway, reassembled and read;
          download  a FitRequest from the server to a client node, from the coordinator's send to
                    the client's mailbox: the node's outbox sends the model once and a request that
                    names it (bulk: two frames; chunks: the model's chunks, paced), rebuilt and
                    read there.
        Then where the chunked upload's time goes: each CPU stage alone, on one thread.

        options:
          --parameters P      update size (default 1663370: the FedAvg CNN, 6.65 MB)
          --repeats R         measured transfers per path (default 15)
          --chunk-sizes LIST  comma-separated chunk sizes in bytes, each 1024..120000 (the
                              128000-byte default frame, less room for the headers; default 65536)
          --tls on|off        mutual TLS with a federation made for the run, on the nodes and
                              on the baseline socket (default off)
        """;

    /// <summary>Parses the options after the command name; null when help was asked for.</summary>
    /// <exception cref="ArgumentException">An unknown option or an invalid value.</exception>
    public static WireOptions? Parse(ReadOnlySpan<string> args)
    {
        if (OptionPairs.Read(args) is not { } pairs)
        {
            return null;
        }

        var options = new WireOptions(1_663_370, 15, [65536]);
        foreach (var (name, value) in pairs)
        {
            options = name switch
            {
                "--parameters" => options with { Parameters = Whole(name, value, 1, 100_000_000) },
                "--repeats" => options with { Repeats = Whole(name, value, 1, 1000) },
                "--chunk-sizes" => options with { ChunkSizes = [.. value.Split(',').Select(v => Whole(name, v, 1024, 120_000))] },
                "--tls" => options with { Tls = value switch { "on" => true, "off" => false, _ => throw new ArgumentException($"--tls is '{value}': on or off") } },
                _ => throw new ArgumentException($"unknown option '{name}' (see `wire --help`)"),
            };
        }

        return options;
    }

    private static int Whole(string name, string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"option '{name}' needs a whole number in {min}..{max}, not '{value}'");
}
