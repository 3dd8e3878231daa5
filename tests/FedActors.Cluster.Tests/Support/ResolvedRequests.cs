using FedActors.Cluster.Transfers;

namespace FedActors.Cluster.Tests.Support;

/// <summary>What a node's model cache built, as one array, to compare with the serializer's bytes of the request.</summary>
internal static class ResolvedRequests
{
    /// <summary>The request's own bytes before the model, the model, and its bytes after it; null when it failed.</summary>
    public static byte[]? Payload(this ResolvedRequest resolved) =>
        resolved.Model is null ? null : [.. resolved.Request.Before.Span, .. resolved.Model, .. resolved.Request.After.Span];
}
