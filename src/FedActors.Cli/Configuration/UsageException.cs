namespace FedActors.Cli.Configuration;

/// <summary>
/// The command line or the configuration cannot be used: the message says what is wrong and
/// where it was set. The command ends with exit code 2 before anything runs.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
