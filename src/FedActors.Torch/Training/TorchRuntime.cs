using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp;

namespace FedActors.Torch.Training;

/// <summary>
/// Process-wide libtorch settings. libtorch's OpenMP threads spin: with two intra-op threads
/// per client and the other core busy, training slowed 20-190x, while one thread per client
/// never collapsed. So each training client runs on one libtorch thread by default, and
/// parallelism comes from training several clients at once.
/// </summary>
public static class TorchRuntime
{
    [ThreadStatic]
    private static int t_configuredThreads;

    /// <summary>libtorch intra-op threads each training thread uses (1 unless <see cref="Initialize"/> said otherwise).</summary>
    public static int ThreadsPerClient { get; private set; } = 1;

    /// <summary>
    /// Sets <c>OMP_NUM_THREADS</c> and <c>MKL_NUM_THREADS</c> in the native environment and
    /// remembers the per-client thread count. Call it once at start-up, before any tensor
    /// operation: OpenMP reads the variables when libtorch loads, and later changes are ignored.
    /// </summary>
    /// <param name="threadsPerClient">libtorch threads per training client (fedactors.training.torch-threads, &gt;= 1).</param>
    public static void Initialize(int threadsPerClient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadsPerClient, 1);
        ThreadsPerClient = threadsPerClient;
        var value = threadsPerClient.ToString(CultureInfo.InvariantCulture);
        foreach (var name in (string[])["OMP_NUM_THREADS", "MKL_NUM_THREADS"])
        {
            // Environment.SetEnvironmentVariable only changes .NET's own copy on Unix; libgomp
            // reads the C environment, so it has to go through libc's setenv as well.
            Environment.SetEnvironmentVariable(name, value);
            if (!OperatingSystem.IsWindows() && NativeMethods.setenv(name, value, 1) != 0)
            {
                throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    /// <summary>
    /// Gives the calling thread <see cref="ThreadsPerClient"/> libtorch threads. With libtorch
    /// 2.10 the setting proved process-wide (a count set on one thread is what a new thread
    /// reads), but OpenMP defines it per thread, so each training thread sets it once rather
    /// than rely on that; later calls on the same thread only compare an integer.
    /// </summary>
    internal static void ConfigureCurrentThread()
    {
        if (t_configuredThreads != ThreadsPerClient)
        {
            torch.set_num_threads(ThreadsPerClient);
            t_configuredThreads = ThreadsPerClient;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int setenv(string name, string value, int overwrite);
    }
}
