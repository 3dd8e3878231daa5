using System.Collections.Concurrent;
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
/// gateway. Each attempt reaches the server and is dropped by its gate, which logs it (so the test
/// cannot pass by the intruder never connecting); the server stays up, alone in its cluster, and the
/// run completes without it.
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
        var daemonPath = $"{server}/system/cluster/core/daemon";
        var coordinatorPath = $"{server}/user/coordinator";

        // (the server's gate logs each frame it drops: these are the refusals each attempt must meet)
        var refusals = new[]
        {
            $"a message for {daemonPath}: a client node may only talk to the receptionist",
            $"a message for {coordinatorPath}: a client node may only talk to the receptionist",
            "an actor selection of a message that is not the ClusterClient's",
        };
        var (dropped, allMet) = (new ConcurrentQueue<string>(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        cluster.Server.System.EventStream.Subscribe(cluster.Server.System.ActorOf(Props.Create(() => new GateRefusals(refusals, dropped, allMet))), typeof(Akka.Event.Warning));
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
            var daemon = ((ExtendedActorSystem)intruder).Provider.ResolveActorRef(daemonPath);
            foreach (var action in new[] { UserAction("Down", server), UserAction("Leave", server) })
            {
                intruder.ActorSelection(daemonPath).Tell(action);
                daemon.Tell(action);
            }

            var coordinator = ((ExtendedActorSystem)intruder).Provider.ResolveActorRef(coordinatorPath);
            coordinator.Tell(new RegisterClient(new ClientId("intruder")));

            // then each attempt reached the server, and its gate dropped it
            await Record.ExceptionAsync(() => allMet.Task.WaitAsync(Patience));
            Assert.All(refusals, r => Assert.Contains(dropped, l => l.Contains(r, StringComparison.Ordinal)));

            // and the real client nodes come and the run goes
            cluster.AddNode(LocalCluster.Ids(0, 2));
            cluster.AddNode(LocalCluster.Ids(2, 2));
            var outcome = await cluster.Server.Outcome.WaitAsync(Patience);

            // and the run completed with only the real clients, and the server is still up, alone in its cluster
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

    // The server gate's drop lines, in order; met once each expected refusal is among them.
    private sealed class GateRefusals : ReceiveActor
    {
        public GateRefusals(IReadOnlyList<string> expected, ConcurrentQueue<string> lines, TaskCompletionSource met)
        {
            Receive<Akka.Event.Warning>(w => w.LogSource.StartsWith("fedactors.inbound-gate", StringComparison.Ordinal), w =>
            {
                lines.Enqueue(w.ToString());
                if (expected.All(e => lines.Any(l => l.Contains(e, StringComparison.Ordinal))))
                {
                    met.TrySetResult();
                }
            });
        }
    }

    // Akka.Cluster's own Down and Leave commands (internal types): what `Cluster.Down(address)` sends a member's daemon.
    private static object UserAction(string name, Address address)
    {
        var type = typeof(Akka.Cluster.Cluster).Assembly.GetType("Akka.Cluster.ClusterUserAction+" + name, throwOnError: true)!;
        return Activator.CreateInstance(type, BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, null, [address], null)!;
    }
}
