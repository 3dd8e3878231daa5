namespace FedActors.Cli.Output;

/// <summary>
/// Writes a run's files so that the output folder never holds a half-written set: everything is
/// written into a hidden temporary folder beside it, then moved in; on failure the temporary
/// folder is removed and the output folder is left as it was.
/// </summary>
internal static class OutputFolder
{
    /// <summary>Calls <paramref name="write"/> with a temporary folder, then moves what it wrote into <paramref name="directory"/>.</summary>
    /// <returns>The full paths of the files now in <paramref name="directory"/>.</returns>
    public static IReadOnlyList<string> WriteAtomically(string directory, Action<string> write)
    {
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? throw new IOException($"{target} has no parent folder");
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            var names = Directory.GetFiles(temp).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
            if (!Directory.Exists(target))
            {
                Directory.Move(temp, target);
            }
            else
            {
                foreach (var name in names)
                {
                    File.Move(Path.Combine(temp, name), Path.Combine(target, name), overwrite: true);
                }
            }

            return names.Select(n => Path.Combine(target, n)).ToList();
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }
}
