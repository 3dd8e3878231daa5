using Akka.Actor;

namespace FedActors.Cluster;

/// <summary>
/// Why a node's <see cref="CoordinatedShutdown"/> runs when its operator stops it (SIGTERM,
/// Ctrl-C): a client node leaves and the server lets it go at once; a server stops its run
/// (fedactors.cluster.server.on-stop) so that it can be resumed. Any other reason (the end of
/// the run, a failure) shuts a node down without either.
/// </summary>
/// <param name="Signal">What asked, for the logs and messages: "SIGTERM", "SIGINT".</param>
public sealed class StopRequested(string Signal) : CoordinatedShutdown.Reason
{
    /// <summary>What asked.</summary>
    public string Signal { get; } = Signal;

    /// <summary>The code a node stopped this way exits with: the run can go on (the CLI's <c>ExitCodes.Stopped</c>).</summary>
    public const int StoppedExitCode = 3;

    /// <inheritdoc />
    public override int ExitCode => StoppedExitCode;

    /// <inheritdoc />
    public override string ToString() => Signal;
}
