using System.Net.Sockets;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Cluster.Security;
using FedActors.Cluster.Tests.Support;
using FedActors.Cluster.Transfers;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>
/// The bulk channel with the federation's TLS on: its connections are mutual TLS under the
/// federation CA, and a node's token opens one only with the certificate that node proved its
/// ids with.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class BulkChannelTlsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly Address NodeA = new("akka.ssl.tcp", "fedactors", "127.0.0.1", 40001);
    private readonly TestFederation _federation = new();

    [Fact]
    public async Task WithTlsOn_EachNodesBulkConnectionOpens_AndTheRunCompletesOnIt()
    {
        // given a server and a node of two clients, both with TLS on
        var (_, serverPfx) = _federation.Server();
        await using var cluster = await LocalCluster.StartAsync(2, LocalCluster.TwoClientRun, serverOnly: _federation.Tls(serverPfx));
        var (_, nodePfx) = _federation.Node("node.pfx", LocalCluster.Ids(0, 2));
        var (node, gate) = await cluster.AddTrainingNodeAsync(LocalCluster.Ids(0, 2), Patience, nodeOnly: _federation.Tls(nodePfx));

        // when the node is in its first round, then its bulk connection opens (it dials right after its welcome)
        await cluster.WaitForBulkChannelsAsync([node.Address], Patience);

        // and when the run goes on, then it completes on it
        gate.SetResult();
        var outcome = await cluster.Server.Outcome.WaitAsync(Patience);
        Assert.True(outcome.Succeeded, outcome.FailureReason);
    }

    [Fact]
    public async Task ANodesToken_OpensABulkConnectionOnlyWithItsOwnCertificate_AndNeverInPlaintext()
    {
        // given a server's bulk listener with TLS on, which admitted node A's token for A's certificate
        var (_, serverPfx) = _federation.Server();
        var (certificateA, pfxA) = _federation.Node("a.pfx", LocalCluster.Ids(0, 1));
        var (_, pfxB) = _federation.Node("b.pfx", LocalCluster.Ids(1, 1));
        var opened = new TaskCompletionSource<BulkAdmission>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverTls = Tls(serverPfx);
        using var listener = new BulkListener("127.0.0.1", 0, serverTls, new FederationTrust(serverTls.Ca!, string.Empty, null), BulkFrame.MaxPayload(TestParameters.Layout), Akka.Event.NoLogger.Instance, null, (admission, connection) =>
        {
            opened.TrySetResult(admission);
            connection.Close("the test has seen it open");
        });
        var token = listener.Admit(NodeA, TestFederation.Thumbprint(certificateA));

        // when node B, a member of the federation too, shows A's token
        var stolen = await Assert.ThrowsAsync<IOException>(() => BulkConnection.DialAsync("127.0.0.1", listener.Port, token, Tls(pfxB), 1 << 20, Patience));

        // then it is refused; and a plaintext connection with A's token gets no answer but a close
        Assert.Contains("refused this node's bulk connection", stolen.Message);
        using (var plain = new TcpClient())
        {
            await plain.ConnectAsync("127.0.0.1", listener.Port);
            await plain.GetStream().WriteAsync((byte[])[.. BulkConnection.Magic, Core.Serialization.ProtocolSerializer.WireVersion, .. token]);
            var answer = new byte[1];
            var read = await ReadOrResetAsync(plain, answer);
            Assert.True(read == 0 || answer[0] != BulkConnection.Accepted, "a plaintext connection was accepted");
        }

        Assert.False(opened.Task.IsCompleted);

        // and node A, with its own certificate, opens it
        await BulkConnection.DialAsync("127.0.0.1", listener.Port, token, Tls(pfxA), 1 << 20, Patience);
        Assert.Equal(NodeA, (await opened.Task.WaitAsync(Patience)).Node);
    }

    public void Dispose() => _federation.Dispose();

    private TlsSettings Tls(string pfx) => TlsSettings.Read(ConfigurationFactory.ParseString(_federation.Tls(pfx)));

    // A TLS server that reads a plaintext preface as a bad ClientHello answers with an alert or a reset.
    private static async Task<int> ReadOrResetAsync(TcpClient socket, byte[] answer)
    {
        try
        {
            return await socket.GetStream().ReadAsync(answer).AsTask().WaitAsync(Patience);
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
