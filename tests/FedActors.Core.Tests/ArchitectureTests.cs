using FedActors.Core.Tensors;

namespace FedActors.Core.Tests;

public sealed class ArchitectureTests
{
    [Fact]
    public void Core_References_NeitherTorchSharpNorAkkaCluster()
    {
        // given the Core assembly's references
        var references = typeof(Parameters).Assembly.GetReferencedAssemblies().Select(a => a.Name ?? string.Empty).ToList();

        // then none is native-backed or cluster-specific: Core stays testable without either
        Assert.DoesNotContain(references, n => n.StartsWith("TorchSharp", StringComparison.Ordinal));
        Assert.DoesNotContain(references, n => n.StartsWith("Akka.Cluster", StringComparison.Ordinal));
        Assert.Contains("Akka", references);
    }
}
