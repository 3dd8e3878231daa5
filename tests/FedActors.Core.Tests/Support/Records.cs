using System.Text.Json;
using FedActors.Core.Metrics;

namespace FedActors.Core.Tests.Support;

/// <summary>Round records in a form that compares by content.</summary>
internal static class Records
{
    // Records hold ImmutableArrays, whose equality is by reference: compare their JSON instead.
    public static List<string> Comparable(IEnumerable<RoundRecord> history) =>
        history.Select(r => JsonSerializer.Serialize(r.WithoutTimings())).ToList();
}
