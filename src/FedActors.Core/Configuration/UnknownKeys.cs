using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace FedActors.Core.Configuration;

/// <summary>
/// Finds keys under <c>fedactors</c> that no reference file defines. A misspelt key that
/// is silently ignored is the worst kind of configuration error (the run goes on with the
/// default), so callers report these as errors.
/// </summary>
public static class UnknownKeys
{
    // Dispatcher blocks accept Akka's whole dispatcher vocabulary, which reference.conf does not repeat.
    private static readonly string[] OpenSections = ["fedactors.training-dispatcher"];

    /// <summary>Every leaf path under <c>fedactors</c> in <paramref name="user"/> that the defaults lack, in file order.</summary>
    /// <param name="user">The user's configuration, without the defaults.</param>
    /// <param name="known">The union of the reference files of every layer that reads the configuration; Core's alone when null.</param>
    public static IReadOnlyList<string> Find(Config user, Config? known = null)
    {
        var unknown = new List<string>();
        if (!user.HasPath("fedactors"))
        {
            return unknown;
        }

        Walk(user.GetValue("fedactors"), "fedactors", known ?? FedActorsConfig.Defaults, unknown);
        return unknown;
    }

    private static void Walk(HoconValue value, string path, Config known, List<string> unknown)
    {
        if (OpenSections.Contains(path))
        {
            return;
        }

        if (!known.HasPath(path))
        {
            unknown.Add(path);
            return;
        }

        if (!value.IsObject())
        {
            return;
        }

        foreach (var (key, child) in value.GetObject().Items)
        {
            Walk(child, $"{path}.{Quote(key)}", known, unknown);
        }
    }

    private static string Quote(string key) => key.Contains('.') ? $"\"{key}\"" : key;
}
