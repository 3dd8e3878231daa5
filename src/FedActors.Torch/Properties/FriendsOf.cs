using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("FedActors.Torch.Tests")]
[assembly: InternalsVisibleTo("FedActors.Benchmarks")]
