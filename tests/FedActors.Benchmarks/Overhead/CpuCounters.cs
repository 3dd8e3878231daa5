using System.Diagnostics;
using System.Globalization;

namespace FedActors.Benchmarks.Overhead;

/// <summary>
/// CPU time of this process and of the whole machine, to tell a run that had the cores to
/// itself from one that other processes disturbed (a load average lags by minutes).
/// </summary>
public readonly record struct CpuCounters(TimeSpan Own, TimeSpan Machine)
{
    // USER_HZ: the unit of /proc/stat, 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>The counters now; the machine's is zero where /proc/stat does not exist.</summary>
    public static CpuCounters Now()
    {
        var own = Process.GetCurrentProcess().TotalProcessorTime;
        if (!File.Exists("/proc/stat"))
        {
            return new CpuCounters(own, TimeSpan.Zero);
        }

        // cpu user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait.
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        double busy = 0;
        for (var i = 1; i < Math.Min(fields.Length, 9); i++)
        {
            if (i is not (4 or 5))
            {
                busy += double.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }

        return new CpuCounters(own, TimeSpan.FromSeconds(busy / TicksPerSecond));
    }

    /// <summary>CPU time other processes used between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static (TimeSpan Own, TimeSpan Others) Delta(CpuCounters before, CpuCounters after)
    {
        var own = after.Own - before.Own;
        var machine = after.Machine - before.Machine;
        return (own, machine == TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, (machine - own).Ticks)));
    }
}
