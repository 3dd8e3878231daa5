using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace FedActors.Core.Configuration;

/// <summary>
/// Finds keys under <c>fedactors</c> that reference.conf does not define. A misspelt key that
/// is silently ignored is the worst kind of configuration error (the run goes on with the
/// default), so callers report these as errors.
/// </summary>
public static class UnknownKeys
{
    // Dispatcher blocks accept Akka's whole dispatcher vocabulary, which reference.conf does not repeat.
    private static readonly string[] OpenSections = ["fedactors.training-dispatcher"];

    /// <summary>Every leaf path under <c>fedactors</c> in <paramref name="user"/> that the defaults lack, in file order.</summary>
    public static IReadOnlyList<string> Find(Config user)
    {
        var unknown = new List<string>();
        if (!user.HasPath("fedactors"))
        {
            return unknown;
        }

        var known = FedActorsConfig.Defaults;
        Walk(user.GetValue("fedactors"), "fedactors", known, unknown);
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
