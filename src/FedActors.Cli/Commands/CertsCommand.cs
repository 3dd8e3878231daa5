using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Cli.Simulation;
using FedActors.Cluster.Security;
using FedActors.Core.Protocol;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors certs</c>: the federation's certificates for mutual TLS
/// (<c>fedactors.cluster.tls</c>), made by <see cref="FederationCertificates"/>.
/// <c>certs ca</c> makes the CA (ca.pfx, its private key, which stays where certificates are
/// issued, under the password of <c>--password-file</c>, or none only with <c>--no-password</c>;
/// ca.crt, which every node gets); <c>certs server</c> the server's server.pfx;
/// <c>certs client</c> a client node's node.pfx, naming the client ids the node may register,
/// chosen as for <c>fedactors client</c> (so the ids match the run's, zero-padded as it pads them).
/// Every .pfx is written with mode 0600. A missing CA, a wrong password or a bad option is a usage
/// error (exit code 2) naming the file or the option.
/// </summary>
internal static class CertsCommand
{
    /// <summary>Builds <c>certs</c> with its three subcommands.</summary>
    public static Command Create(CliConsole console) =>
        new("certs", "Creates the federation's CA and node certificates for mutual TLS (fedactors.cluster.tls).")
        {
            CaCommand(console),
            ServerCommand(console),
            ClientCommand(console),
        };

    private static Command CaCommand(CliConsole console)
    {
        var (output, days) = (Output(), Days(3650));
        var password = new Option<string?>("--password-file")
        {
            Description = "A file whose first line is the password of the CA's ca.pfx (required, unless --no-password).",
            HelpName = "FILE",
        };
        var noPassword = new Option<bool>("--no-password")
        {
            Description = "Writes ca.pfx without a password: whoever can read the file can issue the federation's certificates (its mode 0600 is all that guards it).",
        };
        var name = new Option<string>("--name") { Description = "The CA's name (its subject's CN).", HelpName = "NAME", DefaultValueFactory = _ => "FedActors federation CA" };
        var command = new Command("ca", "Creates a federation CA: DIR/ca.pfx (its key, under the password of --password-file; keep it safe) and DIR/ca.crt (for every node).")
        {
            output, name, days, password, noPassword,
        };
        command.SetAction(async (parsed, _) => await RunAsync(console, () =>
        {
            // The password is settled before anything is written: a CA key never lands on disk unencrypted by omission.
            var secret = CaPassword(parsed.GetValue(password), parsed.GetValue(noPassword));
            var folder = Folder(parsed.GetValue(output)!);
            var pfx = Path.Combine(folder, "ca.pfx");
            if (File.Exists(pfx))
            {
                throw new UsageException($"{pfx} exists: a new CA would orphan every certificate the old one issued; delete it first, or choose another --out");
            }

            using var ca = FederationCertificates.CreateCa(parsed.GetValue(name)!, TimeSpan.FromDays(parsed.GetValue(days)));
            FederationCertificates.WritePfx(ca, pfx, secret);
            FederationCertificates.WritePem(ca, Path.Combine(folder, "ca.crt"));
            var guard = secret.Length == 0 ? "no password (--no-password)" : "password of --password-file; `certs server` and `certs client` take it as --ca-password-file";
            return [$"CA {ca.Subject}, valid until {ca.NotAfter:u}", $"  {pfx} (private key, mode 0600, {guard})", $"  {Path.Combine(folder, "ca.crt")} (give it to every node: fedactors.cluster.tls.ca)"];
        }));
        return command;
    }

    // The CA's key signs every certificate of the federation: no password only when asked for by name.
    private static string CaPassword(string? file, bool none)
    {
        if (file is not null && none)
        {
            throw new UsageException("--password-file and --no-password contradict each other: give one");
        }

        if (none)
        {
            return string.Empty;
        }

        if (file is null)
        {
            throw new UsageException("the CA's key needs a password: give --password-file FILE (its first line is the password), or --no-password to write ca.pfx without one");
        }

        var secret = ReadPassword(file, "--password-file");
        return secret.Length > 0
            ? secret
            : throw new UsageException($"--password-file {file}: its first line is empty, and an empty password is none: write the password there, or give --no-password");
    }

    private static Command ServerCommand(CliConsole console)
    {
        var (ca, caPassword, output, days, password) = (CaFolder(), PasswordFile("--ca-password-file", "the CA's ca.pfx"), Output(), Days(365), PasswordFile("--password-file", "the server.pfx written"));
        var host = new Option<string>("--host") { Description = "The server's host name or IP address, as client nodes dial it.", HelpName = "HOST", Required = true };
        var command = new Command("server", "Issues the server's certificate: DIR/server.pfx, and a copy of ca.crt.") { ca, caPassword, host, output, days, password };
        command.SetAction(async (parsed, _) => await RunAsync(console, () =>
        {
            using var authority = LoadCa(parsed.GetValue(ca)!, parsed.GetValue(caPassword));
            using var certificate = FederationCertificates.CreateServer(authority, parsed.GetValue(host)!, TimeSpan.FromDays(parsed.GetValue(days)));
            return Write(certificate, authority, Folder(parsed.GetValue(output)!), "server.pfx", ReadPassword(parsed.GetValue(password), "--password-file"));
        }));
        return command;
    }

    private static Command ClientCommand(CliConsole console)
    {
        var (ca, caPassword, output, days, password) = (CaFolder(), PasswordFile("--ca-password-file", "the CA's ca.pfx"), Output(), Days(365), PasswordFile("--password-file", "the node.pfx written"));
        var configFile = new Option<string?>("--config") { Description = "The run's HOCON file, for its client count (the ids' width), as `fedactors client --config`.", HelpName = "FILE" };
        var perNode = new Option<int?>("--clients-on-node") { Description = "How many of the run's clients the node hosts, from --first-client-id.", HelpName = "K" };
        var first = new Option<int?>("--first-client-id") { Description = "The node's first client, by its number in the run (default 0).", HelpName = "N" };
        var ids = new Option<string?>("--client-ids") { Description = "The node's clients, by id, comma-separated (instead of --first-client-id).", HelpName = "ID,ID,..." };
        var command = new Command("client", "Issues a client node's certificate naming the client ids it may register: DIR/node.pfx, and a copy of ca.crt.")
        {
            ca, caPassword, configFile, perNode, first, ids, output, days, password,
        };
        command.SetAction(async (parsed, _) => await RunAsync(console, () =>
        {
            var layers = ConfigLayers.Load(parsed.GetValue(configFile), []);
            int clients;
            try
            {
                clients = SimulationSettings.Read(layers.Effective).Clients;
            }
            catch (ConfigurationException e)
            {
                throw layers.Explain(e);
            }

            var mine = new FedActors.Cli.Commands.ClientCommand.IdChoice(parsed.GetValue(ids), parsed.GetValue(first), parsed.GetValue(perNode)).From(RunClients.Ids(clients));
            using var authority = LoadCa(parsed.GetValue(ca)!, parsed.GetValue(caPassword));
            using var certificate = FederationCertificates.CreateClientNode(authority, mine, TimeSpan.FromDays(parsed.GetValue(days)));
            var lines = Write(certificate, authority, Folder(parsed.GetValue(output)!), "node.pfx", ReadPassword(parsed.GetValue(password), "--password-file"));
            return [.. lines, $"  names {mine.Count} client ids: {string.Join(", ", mine)}"];
        }));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, Func<IEnumerable<string>> action)
    {
        try
        {
            foreach (var line in action())
            {
                await console.Out.WriteLineAsync(line);
            }

            return ExitCodes.Success;
        }
        catch (UsageException e)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync("error: " + e.Message);
            return ExitCodes.RunFailed;
        }
    }

    private static IEnumerable<string> Write(X509Certificate2 certificate, X509Certificate2 ca, string folder, string file, string password)
    {
        var pfx = Path.Combine(folder, file);
        FederationCertificates.WritePfx(certificate, pfx, password);
        FederationCertificates.WritePem(ca, Path.Combine(folder, "ca.crt"));
        return
        [
            $"{certificate.Subject}, issued by {ca.Subject}, valid until {certificate.NotAfter:u}",
            $"  {pfx} (private key, mode 0600: fedactors.cluster.tls.certificate)",
            $"  serial {certificate.SerialNumber}, SHA-256 thumbprint {certificate.GetCertHashString(HashAlgorithmName.SHA256)} (for a deny list)",
        ];
    }

    private static X509Certificate2 LoadCa(string folder, string? passwordFile)
    {
        var pfx = Path.Combine(folder, "ca.pfx");
        if (!File.Exists(pfx))
        {
            throw new UsageException($"--ca {folder}: {pfx} does not exist (`fedactors certs ca --out {folder}` makes it)");
        }

        try
        {
            var ca = X509CertificateLoader.LoadPkcs12FromFile(pfx, ReadPassword(passwordFile, "--ca-password-file"), X509KeyStorageFlags.Exportable);
            return ca.HasPrivateKey ? ca : throw new UsageException($"--ca {folder}: {pfx} holds no private key");
        }
        catch (CryptographicException e)
        {
            var given = passwordFile is null ? "without a password (it has one: give --ca-password-file, the file `certs ca --password-file` read)" : "with the password of --ca-password-file (a wrong password, or not a .pfx)";
            throw new UsageException($"--ca {folder}: {pfx} does not load {given}: {e.Message}");
        }
    }

    private static string ReadPassword(string? file, string option)
    {
        if (file is null)
        {
            return string.Empty;
        }

        return File.Exists(file)
            ? File.ReadLines(file).FirstOrDefault() ?? string.Empty
            : throw new UsageException($"{option} {file}: the file does not exist");
    }

    private static string Folder(string path)
    {
        Directory.CreateDirectory(path);
        return path;
    }

    private static Option<string> Output() => new("--out") { Description = "The folder the files are written to (created if needed).", HelpName = "DIR", Required = true };

    private static Option<string> CaFolder() => new("--ca") { Description = "The folder of the CA's ca.pfx (from `certs ca`).", HelpName = "DIR", Required = true };

    private static Option<int> Days(int fallback)
    {
        var option = new Option<int>("--days") { Description = $"How many days the certificate is valid (default {fallback}; a node's never beyond its CA's).", HelpName = "N", DefaultValueFactory = _ => fallback };
        option.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--days must be at least 1");
            }
        });
        return option;
    }

    private static Option<string?> PasswordFile(string name, string what) =>
        new(name) { Description = $"A file whose first line is the password of {what} (none: no password; the file's mode 0600 protects it).", HelpName = "FILE" };
}
