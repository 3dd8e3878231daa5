// Each cluster test starts several actor systems on loopback ports; run them one at a time so
// that their timings (heartbeats, failure detection) do not depend on what else runs.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
