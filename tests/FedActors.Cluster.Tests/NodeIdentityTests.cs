using System.Collections.Immutable;
using Akka.Actor;
using FedActors.Cluster.Protocol;
using FedActors.Cluster.Security;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Protocol;
using FedActors.Core.Serialization;
using FedActors.Core.Tests.Support;

namespace FedActors.Cluster.Tests;

/// <summary>A node's proof of its ids at the hello, checked as the gateway checks it.</summary>
public sealed class NodeIdentityTests : IAsyncLifetime, IDisposable
{
    private static readonly Address Server = Address.Parse("akka.ssl.tcp://fedactors@127.0.0.1:4053");
    private static readonly ClientId[] Ids = [new("client-0"), new("client-1")];

    private readonly TestFederation _federation = new();
    private ActorSystem _system = null!;
    private IActorRef _link = null!;

    public Task InitializeAsync()
    {
        _system = ActorSystem.Create("identity-tests", "akka.loglevel = WARNING");
        _link = _system.ActorOf(Props.Empty, "server-link");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _system.Terminate();

    public void Dispose() => _federation.Dispose();

    [Fact]
    public void AProofOfTheNodesOwnIds_ForThisNonceServerAndLink_Verifies()
    {
        var (certificate, _) = _federation.Node("node.pfx", Ids);
        var nonce = NodeIdentity.NewNonce();
        var hello = Hello(NodeIdentity.Prove(certificate, nonce, Server, _link.Path.ToStringWithAddress(), Ids));
        Assert.Null(NodeIdentity.Refusal(hello, nonce, Server, Trust(), out var proved));
        Assert.Equal(certificate.Thumbprint, proved!.Thumbprint);
    }

    [Fact]
    public void AProofMadeForAnotherLinkNonceOrServer_IsRefused()
    {
        // given proofs that differ from the hello they travel in by one field each
        var (certificate, _) = _federation.Node("node.pfx", Ids);
        var nonce = NodeIdentity.NewNonce();
        var otherLink = NodeIdentity.Prove(certificate, nonce, Server, "akka.ssl.tcp://fedactors@10.0.0.9:1/user/server-link", Ids);
        var otherServer = NodeIdentity.Prove(certificate, nonce, Address.Parse("akka.ssl.tcp://fedactors@10.0.0.1:4053"), _link.Path.ToStringWithAddress(), Ids);
        var otherNonce = NodeIdentity.Prove(certificate, NodeIdentity.NewNonce(), Server, _link.Path.ToStringWithAddress(), Ids);

        // then each is refused, saying why
        Assert.Contains("signature does not verify", NodeIdentity.Refusal(Hello(otherLink), nonce, Server, Trust(), out _));
        Assert.Contains("signature does not verify", NodeIdentity.Refusal(Hello(otherServer), nonce, Server, Trust(), out _));
        Assert.Contains("answers another nonce", NodeIdentity.Refusal(Hello(otherNonce), nonce, Server, Trust(), out _));
        Assert.Contains("carries no identity proof", NodeIdentity.Refusal(Hello(null), nonce, Server, Trust(), out _));
    }

    [Fact]
    public void ACertificateAddedToTheDenyList_IsRefusedAtTheNextHello_WithoutARestart()
    {
        // given a trust whose deny list is empty, and a node's valid proof
        var (certificate, _) = _federation.Node("node.pfx", Ids);
        var denyList = Path.Combine(_federation.Folder, "deny.txt");
        File.WriteAllText(denyList, "# nothing revoked yet\n");
        var trust = new FederationTrust(_federation.Ca, denyList, audit: null);
        var nonce = NodeIdentity.NewNonce();
        var hello = Hello(NodeIdentity.Prove(certificate, nonce, Server, _link.Path.ToStringWithAddress(), Ids));
        Assert.Null(NodeIdentity.Refusal(hello, nonce, Server, trust, out _));

        // when its serial is added to the list (with colons, as openssl prints it)
        var serial = string.Join(':', certificate.SerialNumber.Chunk(2).Select(c => new string(c)));
        File.AppendAllText(denyList, serial + "\n");
        File.SetLastWriteTimeUtc(denyList, DateTime.UtcNow.AddSeconds(1));

        // then the same proof is refused as revoked
        Assert.Contains("is revoked (deny list: serial", NodeIdentity.Refusal(hello, nonce, Server, trust, out _));
    }

    private FederationTrust Trust() => new(_federation.Ca, string.Empty, audit: null);

    private NodeHello Hello(NodeProof? proof) => new(ProtocolSerializer.WireVersion, _link, [.. Ids], TestParameters.Layout, proof);
}
