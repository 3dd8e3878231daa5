using System.Diagnostics;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// The final model of a run that was never stopped: <c>fedactors simulate</c> of the seed example
/// with the process tests' settings, run once for all the tests that compare against it (a class
/// fixture), in a folder of its own that it deletes.
/// </summary>
public sealed class UninterruptedRun : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("fedactors-uninterrupted-");
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, byte[]> _models = [];

    /// <summary>model.safetensors of <c>simulate --config hocon/seed-example.conf</c> with <paramref name="settings"/>, simulated on the first call with them.</summary>
    public async Task<byte[]> ModelAsync(IReadOnlyList<string> settings)
    {
        var key = string.Join('\n', settings);
        await _gate.WaitAsync();
        try
        {
            if (!_models.TryGetValue(key, out var model))
            {
                var folder = Path.Combine(_folder.FullName, $"run-{_models.Count}");
                using var simulate = CliProcess.Start("simulate", Stopwatch.StartNew(), _folder.FullName, ["simulate", "--config", Path.Combine(CliProcess.RepositoryRoot, "hocon", "seed-example.conf"), "--plain", "--output", folder, .. settings]);
                var code = await simulate.ExitCodeAsync(TimeSpan.FromMinutes(2));
                Assert.True(code == 0, $"simulate exited {code}:\n{simulate.Output()}");
                _models[key] = model = await File.ReadAllBytesAsync(Path.Combine(folder, "model.safetensors"));
            }

            return model;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Dispose();
        _folder.Delete(recursive: true);
    }
}
