using System.Collections.Immutable;
using FedActors.Core.Client;
using FedActors.Core.Server;

namespace FedActors.Core.Checkpoints;

/// <summary>A whole checkpoint: the server's state, the clients' kept state (in a simulation, where they share the process), and what identifies the run.</summary>
/// <param name="Server">The global model, round, history and strategy state.</param>
/// <param name="ClientStates">Each client's kept state after <see cref="RunCheckpoint.Round"/>; empty on a server whose clients keep theirs on their own nodes.</param>
/// <param name="Run">Named strings that identify the run (its configuration and that configuration's hash), compared on resume by whoever wrote them.</param>
public sealed record Checkpoint(RunCheckpoint Server, IReadOnlyList<ClientStateEntry> ClientStates, ImmutableSortedDictionary<string, string> Run)
{
    /// <summary>What the strategy's accountant had spent at the last release or failed attempt the store recorded (<see cref="IPrivacySpentStore"/>), which may be after this checkpoint; null when none was recorded.</summary>
    public PrivacySpentRecord? Spent { get; init; }
}
