using System.Reflection;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Cluster.Tests.Support;
using FedActors.Core.Configuration;
using FedActors.Core.Protocol;

namespace FedActors.Cluster.Tests;

/// <summary>
/// A node outside the membership, with Akka.Cluster loaded and the server's address, tries what a
/// member could do: join, down or make the server leave, and talk to the coordinator past the
/// gateway. The server stays up, alone in its cluster, and the run completes without it.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class TrustModelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AnOutsideNode_WhenItTriesToDownTheServerOrReachItsActors_ChangesNothing()
    {
        // given a server waiting for four clients, and an intruder: a cluster-capable actor system that knows the server's address
        await using var cluster = await LocalCluster.StartAsync(4, """
            fedactors.run.rounds = 2
            fedactors.server.min-available-clients = 4
            fedactors.server.fraction-fit = 1.0
            fedactors.server.min-fit-clients = 4
            """);
        var server = cluster.Server.Address;
        var intruder = ActorSystem.Create("fedactors", FedActorsConfig.Load(ConfigurationFactory.ParseString("""
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
            akka.loglevel = WARNING
            """)));
        try
        {
            // when it asks to join, sends Down and Leave for the server to the server's cluster daemon (by
            // selection and by path), and registers a client straight with the coordinator
            Akka.Cluster.Cluster.Get(intruder).Join(server);
            var daemonPath = $"{server}/system/cluster/core/daemon";
            var daemon = ((ExtendedActorSystem)intruder).Provider.ResolveActorRef(daemonPath);
            foreach (var action in new[] { UserAction("Down", server), UserAction("Leave", server) })
            {
                intruder.ActorSelection(daemonPath).Tell(action);
                daemon.Tell(action);
            }

            var coordinator = ((ExtendedActorSystem)intruder).Provider.ResolveActorRef($"{server}/user/coordinator");
            coordinator.Tell(new RegisterClient(new ClientId("intruder")));

            // and the real client nodes come and the run goes
            cluster.AddNode(LocalCluster.Ids(0, 2));
            cluster.AddNode(LocalCluster.Ids(2, 2));
            var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

            // then the run completed with only the real clients, and the server is still up, alone in its cluster
            Assert.True(outcome.Succeeded, outcome.FailureReason);
            Assert.All(outcome.History, r => Assert.Equal(4, r.Registered));
            var members = Akka.Cluster.Cluster.Get(cluster.Server.System).State.Members;
            var member = Assert.Single(members);
            Assert.Equal(server, member.Address);
            Assert.Equal(Akka.Cluster.MemberStatus.Up, member.Status);
            Assert.False(cluster.Server.System.WhenTerminated.IsCompleted);
        }
        finally
        {
            await intruder.Terminate();
        }
    }

    // Akka.Cluster's own Down and Leave commands (internal types): what `Cluster.Down(address)` sends a member's daemon.
    private static object UserAction(string name, Address address)
    {
        var type = typeof(Akka.Cluster.Cluster).Assembly.GetType("Akka.Cluster.ClusterUserAction+" + name, throwOnError: true)!;
        return Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, [address], null)!;
    }
}
