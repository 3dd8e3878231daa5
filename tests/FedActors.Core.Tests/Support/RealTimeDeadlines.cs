namespace FedActors.Core.Tests.Support;

/// <summary>
/// Tests whose deadlines run in real time and are short (a few hundred milliseconds): they run
/// alone, after the parallel tests, so that a busy machine does not turn a prompt reply into a
/// late one.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeDeadlines
{
    /// <summary>The collection's name, for <c>[Collection]</c>.</summary>
    public const string Name = "real-time deadlines";
}
