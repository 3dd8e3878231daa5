namespace FedActors.Cli;

/// <summary>The command's exit codes.</summary>
internal static class ExitCodes
{
    /// <summary>The run completed and its outputs are written.</summary>
    public const int Success = 0;

    /// <summary>The run started but failed (too few clients answered, data missing, cancelled...).</summary>
    public const int RunFailed = 1;

    /// <summary>Bad command line or configuration: nothing ran.</summary>
    public const int Usage = 2;

    /// <summary>
    /// Stopped before the run's end on request (SIGTERM, Ctrl-C on the node, or the server's stop
    /// for a client node): the run can go on, from its last checkpoint (<c>fedactors server --resume</c>).
    /// </summary>
    public const int Stopped = FedActors.Cluster.StopRequested.StoppedExitCode;
}
