using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A real <c>fedactors</c> process (<c>dotnet fedactors.dll ...</c>, the CLI this project's build
/// built first), its stdout and stderr lines kept with the time each arrived; disposing kills it
/// with its whole process tree if it still runs.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<(TimeSpan At, string Text)> _out = [];
    private readonly List<string> _err = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<TimeSpan> Seen)> _waiters = [];
    private readonly Stopwatch _clock;

    private CliProcess(Process process, string name, Stopwatch clock)
    {
        _process = process;
        _clock = clock;
        Name = name;
    }

    /// <summary>The built CLI, src/FedActors.Cli/bin/&lt;Configuration&gt;/net10.0/fedactors.dll.</summary>
    public static string Dll { get; } = Metadata("FedActorsCli");

    /// <summary>The repository's root, for the shipped hocon/ files.</summary>
    public static string RepositoryRoot { get; } = Metadata("RepositoryRoot");

    /// <summary>What the test calls this process in its messages.</summary>
    public string Name { get; }

    /// <summary>Starts <c>dotnet fedactors.dll <paramref name="arguments"/></c> in <paramref name="workingDirectory"/>.</summary>
    /// <param name="name">What the test calls it.</param>
    /// <param name="clock">The test's clock, which stamps every line.</param>
    /// <param name="workingDirectory">Its current folder.</param>
    /// <param name="arguments">The command and its options.</param>
    public static CliProcess Start(string name, Stopwatch clock, string workingDirectory, IEnumerable<string> arguments)
    {
        Assert.True(File.Exists(Dll), $"{Dll} is missing: build the solution (or this test project, which builds the CLI first) in the same configuration");
        // The SDK tells the processes it starts (the test host among them) which dotnet it is.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,

            // Closed at once below: the processes run, and take their signals, with no standard input, as in CI.
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var cli = new CliProcess(process, name, clock);
        process.OutputDataReceived += (_, e) => cli.OnOut(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (cli._gate)
                {
                    cli._err.Add(e.Data);
                }
            }
        };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits for a stdout line matching <paramref name="match"/> (one already read counts) and returns it with the time it arrived.</summary>
    public async Task<(TimeSpan At, string Text)> WaitForLineAsync(Func<string, bool> match, TimeSpan patience)
    {
        TaskCompletionSource<TimeSpan> seen;
        lock (_gate)
        {
            if (_out.FirstOrDefault(l => match(l.Text)) is { Text: not null } already)
            {
                return already;
            }

            seen = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, seen));
        }

        try
        {
            await seen.Task.WaitAsync(patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Name} printed no such line within {patience}:\n{Output()}");
        }

        lock (_gate)
        {
            return _out.First(l => match(l.Text));
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> ExitCodeAsync(TimeSpan patience)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(patience);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{Name} still runs after {patience}:\n{Output()}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGKILL, to this process alone: no shutdown, no goodbye to the server.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, to this process alone, as an operator's <c>kill PID</c> or a service manager's stop.</summary>
    public void Terminate()
    {
        if (SendSignal(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Everything it printed so far, for failure messages.</summary>
    public string Output()
    {
        lock (_gate)
        {
            return $"--- {Name} stdout\n{string.Join('\n', _out.Select(l => l.Text))}\n--- {Name} stderr\n{string.Join('\n', _err)}";
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It was never started, or it ended in between.
        }

        _process.Dispose();
    }

    private const int SigTerm = 15;

    // .NET can send SIGKILL (Process.Kill) but no other signal: libc's kill(2).
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static string Metadata(string key) =>
        typeof(CliProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"no {key} in the test assembly's metadata (FedActors.Cluster.Tests.csproj)");

    private void OnOut(string? line)
    {
        if (line is null)
        {
            return;
        }

        var at = _clock.Elapsed;
        lock (_gate)
        {
            _out.Add((at, line));
            foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
            {
                waiter.Seen.TrySetResult(at);
                _waiters.Remove(waiter);
            }
        }
    }
}
