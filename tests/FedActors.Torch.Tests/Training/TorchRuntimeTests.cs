using System.Runtime.InteropServices;
using FedActors.Torch.Training;
using TorchSharp;

namespace FedActors.Torch.Tests.Training;

public sealed class TorchRuntimeTests
{
    public TorchRuntimeTests() => TestEnvironment.EnsureTorchInitialized();

    [Fact]
    public void Initialize_WhenCalled_SetsTheThreadCountInTheNativeEnvironment()
    {
        // given
        var threads = TorchRuntime.ThreadsPerClient;

        // when
        TorchRuntime.Initialize(threads);

        // then
        // libc's getenv sees what OpenMP sees, unlike Environment.GetEnvironmentVariable.
        Assert.Equal(threads.ToString(), Marshal.PtrToStringUTF8(getenv("OMP_NUM_THREADS")));
        Assert.Equal(threads.ToString(), Marshal.PtrToStringUTF8(getenv("MKL_NUM_THREADS")));
    }

    [Fact]
    public void Initialize_WhenThreadCountIsZero_ThrowsNamingTheArgument()
    {
        // given
        // when
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Initialize(0));

        // then
        Assert.Equal("threadsPerClient", error.ParamName);
    }

    [Fact]
    public void ConfigureCurrentThread_WhenCalledOnANewThread_LeavesLibtorchWithOneThreadPerClient()
    {
        // given
        var seen = 0;

        // when
        var thread = new Thread(() =>
        {
            TorchRuntime.ConfigureCurrentThread();
            seen = torch.get_num_threads();
        });
        thread.Start();
        thread.Join();

        // then
        Assert.Equal(TorchRuntime.ThreadsPerClient, seen);
    }

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);
}
