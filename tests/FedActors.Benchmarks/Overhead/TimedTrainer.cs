using System.Diagnostics;
using FedActors.Core.Tensors;
using FedActors.Core.Training;

namespace FedActors.Benchmarks.Overhead;

/// <summary>When and on which thread each fit of a run ran, and how long creating its trainer took.</summary>
public sealed class FitLog
{
    private readonly Lock _lock = new();
    private readonly List<(int Thread, long Start, long End)> _fits = [];
    private long _creationTicks;

    /// <summary>The recorded fits, as (managed thread id, start, end) in <see cref="Stopwatch"/> ticks.</summary>
    public IReadOnlyList<(int Thread, long Start, long End)> Fits
    {
        get
        {
            lock (_lock)
            {
                return [.. _fits];
            }
        }
    }

    /// <summary>The time spent in Fit so far, summed over the fits (and so over the threads).</summary>
    public TimeSpan InFit
    {
        get
        {
            lock (_lock)
            {
                return Stopwatch.GetElapsedTime(0, _fits.Sum(f => f.End - f.Start));
            }
        }
    }

    /// <summary>Total time spent creating trainers.</summary>
    public TimeSpan TrainerCreation => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _creationTicks));

    /// <summary>Wraps <paramref name="create"/> so that every trainer it makes is timed into this log.</summary>
    public Func<TKey, ITrainer> Timed<TKey>(Func<TKey, ITrainer> create) => key =>
    {
        var start = Stopwatch.GetTimestamp();
        var trainer = create(key);
        Interlocked.Add(ref _creationTicks, Stopwatch.GetTimestamp() - start);
        return new TimedTrainer(trainer, this);
    };

    private void Record(long start, long end)
    {
        lock (_lock)
        {
            _fits.Add((Environment.CurrentManagedThreadId, start, end));
        }
    }

    /// <summary>Times <see cref="ITrainer.Fit"/>; everything else goes straight through.</summary>
    private sealed class TimedTrainer(ITrainer inner, FitLog log) : ITrainer
    {
        public LocalFit Fit(FitTask task, CancellationToken cancellation)
        {
            var start = Stopwatch.GetTimestamp();
            var fit = inner.Fit(task, cancellation);
            log.Record(start, Stopwatch.GetTimestamp());
            return fit;
        }

        public Evaluation Evaluate(Parameters parameters, CancellationToken cancellation) => inner.Evaluate(parameters, cancellation);

        public void Dispose() => inner.Dispose();
    }
}
