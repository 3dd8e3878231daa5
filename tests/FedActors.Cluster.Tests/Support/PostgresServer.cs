using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FedActors.Cluster.Tests.Support;

/// <summary>
/// A private PostgreSQL on 127.0.0.1 at a free port, started through the project's own
/// scripts/postgres.sh in a fresh folder, and stopped (and the folder deleted) on dispose.
/// </summary>
internal sealed class PostgresServer : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _folder;

    private PostgresServer(string folder, string connectionString)
    {
        _folder = folder;
        ConnectionString = connectionString;
    }

    /// <summary>The database "fedactors"'s connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>Starts one; fails with the script's own message when it cannot.</summary>
    public static PostgresServer Start()
    {
        var folder = Path.Combine(Path.GetTempPath(), "fedactors-postgres-" + Guid.NewGuid().ToString("N"));
        (int Code, string Output, string Error) started;
        try
        {
            started = Script("start", folder, FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (TimeoutException)
        {
            // A start that hung may still have left a server running on the folder.
            Script("stop", folder);
            throw;
        }

        var (code, output, error) = started;
        if (code != 0)
        {
            Script("stop", folder);
            throw new InvalidOperationException($"scripts/postgres.sh start failed with exit code {code}: {error}");
        }

        return new PostgresServer(folder, output.Trim());
    }

    public void Dispose()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        var (code, _, error) = Script("stop", _folder);
        if (code != 0)
        {
            // Its data stays: a server that did not stop still runs on it.
            throw new InvalidOperationException($"scripts/postgres.sh stop {_folder} failed with exit code {code}: {error}");
        }

        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (int Code, string Output, string Error) Script(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(Path.Combine(CliProcess.RepositoryRoot, "scripts", "postgres.sh"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash did not start");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Patience))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"scripts/postgres.sh {string.Join(' ', args)} did not finish within {Patience}");
        }

        return (process.ExitCode, output.Result, error.Result);
    }
}
