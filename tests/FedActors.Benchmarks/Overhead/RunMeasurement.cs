namespace FedActors.Benchmarks.Overhead;

/// <summary>One measured run of one variant.</summary>
/// <param name="Wall">The whole run, as its caller sees it (for a simulation: actor system start to terminated).</param>
/// <param name="InFits">Time inside trainers' Fit, summed over threads (the plain loop: all of it).</param>
/// <param name="StartUp">Run start to the first fit's start.</param>
/// <param name="FitSpan">First fit's start to the last fit's end.</param>
/// <param name="LastRound">Last fit's end to the last round's record (the last aggregation and its messages).</param>
/// <param name="ShutDown">The last round's record to the run's end (actor system termination).</param>
/// <param name="Aggregation">The strategy's aggregation, summed over rounds.</param>
/// <param name="TrainerCreation">Creating trainers, summed over fits.</param>
/// <param name="Fits">Number of fits.</param>
/// <param name="FirstFits">Mean duration of each training thread's first fit (it builds the thread's module).</param>
/// <param name="OtherFits">Mean duration of the other fits.</param>
/// <param name="GcPause">Time the GC paused the process.</param>
/// <param name="Gen0">Gen-0 collections.</param>
/// <param name="Gen1">Gen-1 collections.</param>
/// <param name="Gen2">Gen-2 collections.</param>
/// <param name="AllocatedMb">Managed allocation in MB.</param>
/// <param name="OwnCpu">CPU time this process used during the run.</param>
/// <param name="OthersCpu">CPU time every other process used during the run: a disturbed run shows here.</param>
/// <param name="FinalLoss">Mean training loss of the last pass or round, to show both sides trained alike.</param>
public sealed record RunMeasurement(
    TimeSpan Wall,
    TimeSpan InFits,
    TimeSpan StartUp,
    TimeSpan FitSpan,
    TimeSpan LastRound,
    TimeSpan ShutDown,
    TimeSpan Aggregation,
    TimeSpan TrainerCreation,
    int Fits,
    TimeSpan FirstFits,
    TimeSpan OtherFits,
    TimeSpan GcPause,
    int Gen0,
    int Gen1,
    int Gen2,
    double AllocatedMb,
    TimeSpan OwnCpu,
    TimeSpan OthersCpu,
    double FinalLoss);
