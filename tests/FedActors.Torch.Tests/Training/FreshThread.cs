using System.Runtime.ExceptionServices;

namespace FedActors.Torch.Tests.Training;

/// <summary>
/// Runs work on a new thread and waits for it. A new thread has no <c>ModelWorkspace</c> and
/// has not configured libtorch yet, which is what a training thread looks like on first use.
/// </summary>
internal static class FreshThread
{
    /// <summary>The result of <paramref name="work"/> run on a new thread; its exception is rethrown here.</summary>
    public static T Run<T>(Func<T> work)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception error)
            {
                failure = ExceptionDispatchInfo.Capture(error);
            }
        });
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
