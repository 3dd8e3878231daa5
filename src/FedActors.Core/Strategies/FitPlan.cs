using System.Collections.Immutable;
using FedActors.Core.Protocol;

namespace FedActors.Core.Strategies;

/// <summary>What a strategy sends with the global model in a round's fit requests: the same for every client, except where it says otherwise.</summary>
/// <param name="Common">The instructions for every client not in <paramref name="PerClient"/>.</param>
/// <param name="PerClient">Instructions for particular clients (e.g. a client-specific learning rate).</param>
public sealed record FitPlan(FitInstructions Common, ImmutableDictionary<ClientId, FitInstructions> PerClient)
{
    /// <summary>The same instructions for everybody.</summary>
    public static FitPlan Same(FitInstructions instructions) => new(instructions, ImmutableDictionary<ClientId, FitInstructions>.Empty);

    /// <summary>The instructions for <paramref name="client"/>.</summary>
    public FitInstructions For(ClientId client) => PerClient.GetValueOrDefault(client, Common);
}
