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
}
