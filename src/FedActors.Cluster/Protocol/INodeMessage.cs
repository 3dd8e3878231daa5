namespace FedActors.Cluster.Protocol;

/// <summary>
/// Marks the cluster layer's wire messages. reference.cluster.conf binds this interface to
/// <see cref="Serialization.ClusterSerializer"/>, so each one crosses the wire as compact binary.
/// </summary>
public interface INodeMessage;
