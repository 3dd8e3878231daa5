namespace FedActors.Core.Protocol;

/// <summary>
/// Marks every FedActors protocol message. reference.conf binds this interface to
/// <see cref="Serialization.ProtocolSerializer"/>, so each one crosses the wire (and the
/// <c>serialize-messages</c> check in tests) as compact binary, never JSON.
/// </summary>
public interface IFedActorsMessage;
