using System.Runtime.InteropServices;

namespace FedActors.Cli;

/// <summary>
/// SIGTERM and SIGINT (Ctrl-C) for the commands that stop gracefully (<c>server</c>, <c>client</c>):
/// the first one is taken from the runtime, whose default would end the process at once, and
/// handed to <c>onStop</c> (which runs the node's CoordinatedShutdown); a second one is left to the
/// runtime, so an operator can still end a stop that takes too long. Signals need no terminal:
/// this works the same with no standard input.
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly PosixSignalRegistration[] _registrations;
    private readonly Action<string> _onStop;
    private int _received;

    private StopSignals(Action<string> onStop)
    {
        _onStop = onStop;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
        ];
    }

    /// <summary>Calls <paramref name="onStop"/> with the signal's name ("SIGTERM", "SIGINT") on the first stop signal, until disposed.</summary>
    public static StopSignals Listen(Action<string> onStop) => new(onStop);

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _received) > 1)
        {
            return;
        }

        context.Cancel = true;
        _onStop(context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT");
    }
}
