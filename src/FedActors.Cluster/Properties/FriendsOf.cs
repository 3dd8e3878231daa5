using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("FedActors.Cluster.Tests")]
[assembly: InternalsVisibleTo("FedActors.Benchmarks")]
