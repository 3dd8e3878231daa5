using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.Net;
using System.Net.Sockets;
using Akka.Cluster.Tools.Client;
using Akka.Serialization;
using FedActors.Cluster.Configuration;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Transfers;
using FedActors.Core.Protocol;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Benchmarks.Wire;

/// <summary>
/// The <c>wire</c> bench command (see <see cref="WireOptions.Help"/>): FedActors' cluster path
/// against a plain TCP socket on loopback, in one run, and where the cluster path's time goes.
/// </summary>
public static class WireBenchmark
{
    private const int WarmUp = 3;

    public static async Task RunAsync(WireOptions options, TextWriter output)
    {
        var layout = new ParameterLayout([new TensorSpec("w", [options.Parameters])]);
        var values = new float[options.Parameters];
        var random = new Random(7);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextDouble();
        }

        var reply = new FitResult(new ClientId("client-0"), new RoundNumber(1), 1, Parameters.Wrap(layout, values), 10, 0.5, 0.5, ImmutableSortedDictionary<string, Parameters>.Empty, ImmutableSortedDictionary<string, double>.Empty);
        using var federation = options.Tls ? new WireFederation(reply.Client) : null;
        using var tcp = await TcpPair.StartAsync(federation).ConfigureAwait(false);
        byte[]? bytes = null;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wire: {options.Parameters:N0} parameters, {WarmUp} warm-up and {options.Repeats} measured transfers per path, loopback, {Environment.ProcessorCount} cores, {(options.Tls ? "mutual TLS on every path (the baseline a TLS socket with the same certificates)" : "no TLS")}"));
        output.WriteLine("chunk_bytes  path                                        median_ms   min_ms   max_ms  x_tcp   MB/s");
        foreach (var chunkSize in options.ChunkSizes)
        {
            // Both paths side by side: the bulk channel (the default) and chunks on the cluster connection.
            string serverTls = federation?.ServerHocon ?? string.Empty, nodeTls = federation?.NodeHocon ?? string.Empty;
            await using var bulk = await WirePair.StartAsync(layout, chunkSize, serverOnly: serverTls, nodeOnly: nodeTls).ConfigureAwait(false);
            await using var pair = await WirePair.StartAsync(layout, chunkSize, "fedactors.cluster.bulk-channel.enabled = off", serverTls, nodeTls).ConfigureAwait(false);
            bytes ??= ((SerializerWithStringManifest)pair.Node.Serialization.FindSerializerFor(reply)).ToBinary(reply);
            List<TimeSpan> tcpTimes = [], bulkUpTimes = [], bulkDownTimes = [], upTimes = [], downTimes = [], unpacedTimes = [], bulkPings = [], pings = [], unpacedPings = [];
            for (var i = 0; i < WarmUp + options.Repeats; i++)
            {
                // Side by side: each repeat runs every path in turn, each download with a new
                // instance of the model, so that its encoding is part of every download, as in a round.
                var t = await tcp.SendAsync(bytes).ConfigureAwait(false);
                var bulkUp = await bulk.UploadAsync(reply).ConfigureAwait(false);
                var bulkDown = await bulk.DownloadAsync(Request(layout, values, i)).ConfigureAwait(false);
                var up = await pair.UploadAsync(reply).ConfigureAwait(false);
                var down = await pair.DownloadAsync(Request(layout, values, i)).ConfigureAwait(false);
                var unpaced = await pair.DownloadAsync(Request(layout, values, i), window: int.MaxValue).ConfigureAwait(false);
                if (i >= WarmUp)
                {
                    tcpTimes.Add(t);
                    bulkUpTimes.Add(bulkUp);
                    bulkDownTimes.Add(bulkDown.Elapsed);
                    upTimes.Add(up);
                    downTimes.Add(down.Elapsed);
                    unpacedTimes.Add(unpaced.Elapsed);
                    bulkPings.AddRange(bulkDown.Pings);
                    pings.AddRange(down.Pings);
                    unpacedPings.AddRange(unpaced.Pings);
                }
            }

            var baseline = Median(tcpTimes);
            var size = chunkSize.ToString(CultureInfo.InvariantCulture);
            Line(output, "-", "tcp socket (same bytes)", tcpTimes, baseline, bytes.Length);
            Line(output, "-", "upload: node -> server (bulk channel)", bulkUpTimes, baseline, bytes.Length);
            Line(output, "-", "download: server -> node (bulk channel)", bulkDownTimes, baseline, bytes.Length);
            Line(output, size, "upload: chunks via ClusterClient", upTimes, baseline, bytes.Length);
            Line(output, size, "download: chunks (model once, paced)", downTimes, baseline, bytes.Length);
            Line(output, size, "download: chunks, unpaced", unpacedTimes, baseline, bytes.Length);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"             a small message on the cluster connection during the download: bulk median {Median(bulkPings).TotalMilliseconds:F1} ms, max {bulkPings.DefaultIfEmpty().Max().TotalMilliseconds:F1} ms ({bulkPings.Count}); chunks paced median {Median(pings).TotalMilliseconds:F1} ms, max {pings.DefaultIfEmpty().Max().TotalMilliseconds:F1} ms ({pings.Count}); unpaced median {Median(unpacedPings).TotalMilliseconds:F1} ms, max {unpacedPings.DefaultIfEmpty().Max().TotalMilliseconds:F1} ms ({unpacedPings.Count})"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"             unreachable events while measuring: {bulk.Unreachable + pair.Unreachable}"));
        }

        Breakdown(options, reply, bytes!.Length, output);
    }

    // Each CPU stage of the upload on one thread: what the path costs besides Akka.Remote moving bytes.
    private static void Breakdown(WireOptions options, FitResult reply, int length, TextWriter output)
    {
        foreach (var chunkSize in options.ChunkSizes)
        {
            var config = FedActors.Core.Configuration.FedActorsConfig.Load(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.actor.provider = remote\nakka.remote.dot-netty.tcp.port = 0"), ClusterSettings.Defaults)
                .WithFallback(ClusterClientReceptionist.DefaultConfig())
                .WithFallback(Akka.Cluster.Tools.PublishSubscribe.DistributedPubSub.DefaultConfig());
            using var system = Akka.Actor.ActorSystem.Create("breakdown", config);
            var protocol = (SerializerWithStringManifest)system.Serialization.FindSerializerFor(reply);
            var stages = new Dictionary<string, List<TimeSpan>>();
            var sendSerializer = string.Empty;
            void Time(string stage, Action action)
            {
                var started = Stopwatch.GetTimestamp();
                action();
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (!stages.TryGetValue(stage, out var list))
                {
                    stages[stage] = list = [];
                }

                list.Add(elapsed);
            }

            for (var i = 0; i < WarmUp + options.Repeats; i++)
            {
                byte[] encoded = [];
                IReadOnlyList<Chunk> chunks = [];
                List<byte[]> frames = [], wrapped = [];
                List<Chunk> read = [];
                byte[] whole = [];
                Time("protocol encode (FitResult -> bytes)", () => encoded = protocol.ToBinary(reply));
                Time("cut into chunks + CRC-32", () => chunks = Chunking.Split(Guid.NewGuid(), reply.Client, protocol.Manifest(reply), encoded, chunkSize));
                var cluster = (SerializerWithStringManifest)system.Serialization.FindSerializerFor(chunks[0]);
                Time("cluster serializer, chunk -> bytes", () => frames = [.. chunks.Select(cluster.ToBinary)]);
                // What a ClusterClient sends the receptionist for each ClusterClient.Send: a pub-sub Send around the chunk.
                var send = system.Serialization.FindSerializerFor(new Akka.Cluster.Tools.PublishSubscribe.Send(NodeConfig.GatewayPath, chunks[0]));
                sendSerializer = send.GetType().Name;
                Time("ClusterClient's Send around it (incl. the above)", () => wrapped = [.. chunks.Select(c => send.ToBinary(new Akka.Cluster.Tools.PublishSubscribe.Send(NodeConfig.GatewayPath, c)))]);
                Time("cluster serializer, bytes -> chunk", () => read = [.. frames.Select(f => (Chunk)cluster.FromBinary(f, "CK"))]);
                Time("reassemble + CRC-32", () =>
                {
                    var assembler = new TransferAssembler();
                    foreach (var chunk in read)
                    {
                        if (assembler.Add(chunk, DateTime.UtcNow) is TransferCompleted done)
                        {
                            whole = done.Bytes;
                        }
                    }
                });
                Time("protocol decode (bytes -> FitResult)", () => Chunking.Read(system, protocol.Manifest(reply), whole));
                Time("CRC-32 of the whole message alone", () => Crc32.HashToUInt32(encoded));
                Time("memcpy of the whole message (reference)", () => encoded.AsSpan().CopyTo(new byte[encoded.Length]));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"breakdown of the upload at chunk size {chunkSize} ({(length + chunkSize - 1) / chunkSize} chunks of {length:N0} bytes), one thread, median ms (the Send by {sendSerializer}):"));
            foreach (var (stage, times) in stages)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {stage,-48} {Median(times.Skip(WarmUp).ToList()).TotalMilliseconds,8:F2}"));
            }

            system.Terminate().Wait();
        }
    }

    private static FitRequest Request(ParameterLayout layout, float[] values, int seed) =>
        new(new RoundNumber(1), 1, Parameters.Wrap(layout, values), new FitConfig(1, 32, 0.01f, 0, 0, ImmutableSortedDictionary<string, double>.Empty), seed, ImmutableSortedDictionary<string, Parameters>.Empty, TimeSpan.FromMinutes(1));

    private static void Line(TextWriter output, string chunk, string path, List<TimeSpan> times, TimeSpan baseline, int bytes)
    {
        var median = Median(times);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{chunk,11}  {path,-43} {median.TotalMilliseconds,9:F2} {times.Min().TotalMilliseconds,8:F2} {times.Max().TotalMilliseconds,8:F2} {median / baseline,6:F2} {bytes / median.TotalSeconds / 1e6,6:F0}"));
    }

    private static TimeSpan Median(List<TimeSpan> times)
    {
        if (times.Count == 0)
        {
            return TimeSpan.Zero;
        }

        var sorted = times.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    /// <summary>Two ends of one loopback TCP connection (in mutual TLS with a federation's certificates, when given); a send writes the bytes on one end and reads them whole on the other.</summary>
    private sealed class TcpPair : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly TcpClient _sender;
        private readonly TcpClient _receiver;
        private readonly Stream _out;
        private readonly Stream _in;

        private TcpPair(TcpListener listener, TcpClient sender, TcpClient receiver, Stream @out, Stream @in)
        {
            _listener = listener;
            _sender = sender;
            _receiver = receiver;
            _out = @out;
            _in = @in;
        }

        public static async Task<TcpPair> StartAsync(WireFederation? tls)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var sender = new TcpClient { NoDelay = true };
            var accepting = listener.AcceptTcpClientAsync();
            await sender.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port).ConfigureAwait(false);
            var receiver = await accepting.ConfigureAwait(false);
            receiver.NoDelay = true;
            Stream @out = sender.GetStream(), @in = receiver.GetStream();
            if (tls is not null)
            {
                (@out, @in) = await tls.AuthenticateAsync(@out, @in).ConfigureAwait(false);
            }

            return new TcpPair(listener, sender, receiver, @out, @in);
        }

        public async Task<TimeSpan> SendAsync(byte[] bytes)
        {
            // The receiver needs a buffer for the message, as Akka's does: allocated per message.
            var started = Stopwatch.GetTimestamp();
            var writing = _out.WriteAsync(bytes).AsTask();
            var buffer = new byte[bytes.Length];
            for (var at = 0; at < buffer.Length;)
            {
                var n = await _in.ReadAsync(buffer.AsMemory(at)).ConfigureAwait(false);
                at += n > 0 ? n : throw new IOException("the loopback connection closed");
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            await writing.ConfigureAwait(false);
            return elapsed;
        }

        public void Dispose()
        {
            _out.Dispose();
            _in.Dispose();
            _sender.Dispose();
            _receiver.Dispose();
            _listener.Stop();
        }
    }
}
