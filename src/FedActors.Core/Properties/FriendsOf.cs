using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("FedActors.Core.Tests")]
