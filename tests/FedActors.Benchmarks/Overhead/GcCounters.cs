namespace FedActors.Benchmarks.Overhead;

/// <summary>A snapshot of the process's GC counters, to measure what a run cost the GC.</summary>
public readonly record struct GcCounters(TimeSpan Pause, int Gen0, int Gen1, int Gen2, long Allocated)
{
    /// <summary>The counters now.</summary>
    public static GcCounters Now() => new(
        GC.GetTotalPauseDuration(),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalAllocatedBytes(precise: false));

    /// <summary>What happened between <paramref name="before"/> and <paramref name="after"/>.</summary>
    public static GcCounters Delta(GcCounters before, GcCounters after) => new(
        after.Pause - before.Pause,
        after.Gen0 - before.Gen0,
        after.Gen1 - before.Gen1,
        after.Gen2 - before.Gen2,
        after.Allocated - before.Allocated);
}
