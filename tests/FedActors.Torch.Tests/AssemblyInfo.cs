// Tests share libtorch's process-wide state (thread count, default generator) and the memory
// test reads the process's working set, so they run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
