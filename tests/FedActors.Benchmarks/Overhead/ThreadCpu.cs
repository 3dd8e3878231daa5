using System.Globalization;

namespace FedActors.Benchmarks.Overhead;

/// <summary>
/// CPU time of this process's threads grouped by thread name (Linux /proc/self/task), to see
/// which threads besides the training threads use CPU during a run.
/// </summary>
public static class ThreadCpu
{
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds per thread id, with the thread's name.</summary>
    public static Dictionary<int, (string Name, double Seconds)> Snapshot()
    {
        var result = new Dictionary<int, (string, double)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var open = stat.IndexOf('(', StringComparison.Ordinal);
                var close = stat.LastIndexOf(')');
                var name = stat[(open + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                // After the name: state is field 3, utime field 14 and stime field 15 (1-based in proc(5)).
                var ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
                result[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (name, ticks / TicksPerSecond);
            }
            catch (IOException)
            {
                // The thread ended while we read it.
            }
        }

        return result;
    }

    /// <summary>CPU seconds used between two snapshots, per thread name, largest first.</summary>
    public static List<(string Name, int Threads, double Seconds)> Delta(
        Dictionary<int, (string Name, double Seconds)> before,
        Dictionary<int, (string Name, double Seconds)> after) =>
        [.. after
            .Select(t => (t.Value.Name, Seconds: t.Value.Seconds - (before.TryGetValue(t.Key, out var b) && b.Name == t.Value.Name ? b.Seconds : 0)))
            .Where(t => t.Seconds > 0)
            .GroupBy(t => t.Name)
            .Select(g => (g.Key, g.Count(), g.Sum(t => t.Seconds)))
            .OrderByDescending(g => g.Item3)];
}
