using System.Runtime.InteropServices;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Torch.Tests.Training;

// These tests change process-wide state (the native environment, libtorch's thread count) and
// put it back before they end. They cannot race the other tests: AssemblyInfo.cs turns test
// parallelization off for the whole assembly.
public sealed class TorchRuntimeTests
{
    public TorchRuntimeTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void Initialize_WhenCalled_SetsTheThreadCountInTheNativeEnvironment()
    {
        // Catches an Initialize that stops writing libc's environment (Environment.SetEnvironmentVariable
        // alone changes only .NET's copy on Unix), or writes it only on its first call. The count 3
        // differs from the 1 that TestEnvironment and a shell's OMP_NUM_THREADS=1 leave there, so
        // the old form of this test (re-initializing with the current count) could not fail.
        try
        {
            // given
            const int threads = 3;

            // when
            TorchRuntime.Initialize(threads);

            // then
            // libc's getenv sees what OpenMP sees, unlike Environment.GetEnvironmentVariable.
            Assert.Equal("3", Marshal.PtrToStringUTF8(getenv("OMP_NUM_THREADS")));
            Assert.Equal("3", Marshal.PtrToStringUTF8(getenv("MKL_NUM_THREADS")));
            Assert.Equal(threads, TorchRuntime.ThreadsPerClient);
        }
        finally
        {
            TorchRuntime.Initialize(1);
        }
    }

    [Fact]
    public void Initialize_WhenThreadCountIsZero_ThrowsNamingTheArgument()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Initialize(0));

        // then
        Assert.Equal("threadsPerClient", error.ParamName);
        Assert.Equal(1, TorchRuntime.ThreadsPerClient);
    }

    [Fact]
    public void ConfigureCurrentThread_WhenTwoThreadsPerClientAreSet_GivesANewTrainingThreadTwoLibtorchThreads()
    {
        // Catches a ConfigureCurrentThread that no longer calls torch.set_num_threads (or calls it
        // with a constant 1): libtorch then keeps the 1 it started with, not the 2 asked for. The old
        // form of this test expected ThreadsPerClient, which was 1, libtorch's count anyway. The
        // second thread catches a count that is not lowered again (say, set only when it is not the
        // default): libtorch 2.10 keeps the count process-wide, so every later training thread
        // would inherit the two spinning OpenMP threads.
        try
        {
            // given
            TorchRuntime.Initialize(2);

            // when
            var withTwo = FreshThread.Run(ConfiguredThreadCount);
            TorchRuntime.Initialize(1);
            var withOne = FreshThread.Run(ConfiguredThreadCount);

            // then
            Assert.Equal(2, withTwo);
            Assert.Equal(1, withOne);
        }
        finally
        {
            TorchRuntime.Initialize(1);
            FreshThread.Run(ConfiguredThreadCount);
        }
    }

    private static int ConfiguredThreadCount()
    {
        TorchRuntime.ConfigureCurrentThread();
        return torch.get_num_threads();
    }

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);
}
