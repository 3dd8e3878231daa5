using System.CommandLine;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using FedActors.Cli.Configuration;
using FedActors.Cli.Simulation;
using FedActors.Cluster;
using FedActors.Cluster.Client;
using FedActors.Cluster.Configuration;
using FedActors.Core.Protocol;
using FedActors.Torch.Data;
using FedActors.Torch.Models;
using FedActors.Torch.Training;

namespace FedActors.Cli.Commands;

/// <summary>
/// <c>fedactors client</c>: a client node that dials a server node and hosts some of the run's
/// clients over data it owns: the Fashion-MNIST shards the run's partitioning gives those client
/// ids (the same code as <c>simulate</c>, so client id i holds the same shard). It reads the same
/// run configuration as the server, and stops when the server's run is over.
/// </summary>
internal static class ClientCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliConsole console)
    {
        var configFile = new Option<string?>("--config") { Description = "The run's HOCON file, as the server's (it may include others): model, partitioning, clients, seed.", HelpName = "FILE" };
        var seed = new Option<string?>("--seed") { Description = "The server node's address, akka.tcp://fedactors@HOST:PORT. Sets fedactors.cluster.client.seed.", HelpName = "ADDRESS" };
        var host = new Option<string?>("--host") { Description = "Address this node listens on (nothing dials it). Sets fedactors.cluster.client.host.", HelpName = "HOST" };
        var port = new Option<int?>("--port") { Description = "Port this node listens on (0, the default, picks a free one). Sets fedactors.cluster.client.port.", HelpName = "N" };
        var perNode = new Option<int?>("--clients-on-node") { Description = "How many of the run's clients this node hosts, from --first-client-id (default: all from there).", HelpName = "K" };
        var first = new Option<int?>("--first-client-id") { Description = "The first client, by its number in the run (0 for client-0, the default).", HelpName = "N" };
        var ids = new Option<string?>("--client-ids") { Description = "The clients this node hosts, by id, comma-separated (instead of --first-client-id).", HelpName = "ID,ID,..." };
        var parallelism = new Option<int?>("--parallelism") { Description = "Clients of this node training at once. Sets fedactors.training.parallelism.", HelpName = "N" };
        var sets = new Option<string[]>("--set") { Description = "Sets any key, relative to 'fedactors.' (repeatable).", HelpName = "KEY=VALUE", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("client", "Starts a client node: it dials the server node and hosts some of the run's clients over this machine's data.");
        foreach (var option in new Option[] { configFile, seed, host, port, perNode, first, ids, parallelism, sets })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parsed, ct) =>
        {
            try
            {
                var overrides = (parsed.GetValue(sets) ?? []).Select(ConfigOverride.FromSetArgument).ToList();
                Add(overrides, "cluster.client.seed", parsed.GetValue(seed) is { } s ? ConfigOverride.Quote(s) : null, $"--seed {parsed.GetValue(seed)}");
                Add(overrides, "cluster.client.host", parsed.GetValue(host) is { } h ? ConfigOverride.Quote(h) : null, $"--host {parsed.GetValue(host)}");
                Add(overrides, "cluster.client.port", Number(parsed.GetValue(port)), $"--port {parsed.GetValue(port)}");
                Add(overrides, "training.parallelism", Number(parsed.GetValue(parallelism)), $"--parallelism {parsed.GetValue(parallelism)}");
                var choice = new IdChoice(parsed.GetValue(ids), parsed.GetValue(first), parsed.GetValue(perNode));
                return await RunAsync(console, parsed.GetValue(configFile), overrides, choice, ct);
            }
            catch (UsageException e)
            {
                await console.Error.WriteLineAsync("error: " + e.Message);
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, string? configFile, IReadOnlyList<ConfigOverride> overrides, IdChoice choice, CancellationToken ct)
    {
        var layers = ConfigLayers.Load(configFile, overrides);
        SimulationSettings settings;
        ClusterSettings cluster;
        try
        {
            settings = SimulationSettings.Read(layers.Effective);
            cluster = ClusterSettings.Read(layers.Effective);
            cluster.SeedAddress();
        }
        catch (ConfigurationException e)
        {
            throw layers.Explain(e);
        }

        var everyone = RunClients.Ids(settings.Clients);
        var mine = choice.From(everyone);
        await console.Out.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"FedActors client ({layers.FilePath ?? "embedded defaults"})\n  {mine.Count} of the run's {everyone.Count} clients ({mine[0]} .. {mine[^1]}), {settings.Model}, {settings.Scheme} partitioning, seed {settings.Server.Seed}; server {cluster.Seed}"));

        // Before the first tensor operation: OpenMP reads its thread count when libtorch loads.
        TorchRuntime.Initialize(settings.TorchThreads);
        var model = ModelKindNames.Parse(settings.Model);
        ClientNodeOutcome outcome;
        try
        {
            var data = await Task.Run(() => FashionMnist.Load(settings.DatasetDirectory, settings.TrainLimit, settings.TestLimit), ct);
            var (_, trainers, _) = RunClients.Of(settings, model, data.Train);
            var layout = ModelFactory.InitialParameters(model, settings.Server.Seed).Layout;
            await using var node = ClientNode.Start(settings.Runtime, cluster, mine, trainers, layout);

            // SIGTERM or Ctrl-C: CoordinatedShutdown, whose first task tells the server this node leaves (ClientNode).
            using var signals = StopSignals.Listen(signal => CoordinatedShutdown.Get(node.System).Run(new StopRequested(signal)));
            await console.Out.WriteLineAsync($"  client node at {node.Address}, dialling {cluster.Seed}");
            var ended = await Task.WhenAny(node.Outcome, node.System.WhenTerminated).WaitAsync(ct);
            outcome = ended == node.Outcome
                ? await node.Outcome
                : new ClientNodeOutcome(false, "the node shut down before the server answered its leave") { Stopped = true };
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await console.Error.WriteLineAsync("client node stopped before the run's end");
            return ExitCodes.RunFailed;
        }
        catch (ConfigurationException e)
        {
            throw layers.Explain(e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or DatasetException)
        {
            await console.Error.WriteLineAsync("client node failed: " + e.Message);
            return ExitCodes.RunFailed;
        }

        if (outcome.Stopped)
        {
            await console.Error.WriteLineAsync("client node stopped: " + outcome.Detail);
            return ExitCodes.Stopped;
        }

        if (!outcome.Succeeded)
        {
            await console.Error.WriteLineAsync("client node failed: " + outcome.Detail);
            return ExitCodes.RunFailed;
        }

        await console.Out.WriteLineAsync("  " + outcome.Detail);
        return ExitCodes.Success;
    }

    private static void Add(List<ConfigOverride> overrides, string key, string? value, string origin)
    {
        if (value is not null)
        {
            overrides.Add(new ConfigOverride(key, value, origin));
        }
    }

    private static string? Number(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>Which of the run's clients a node hosts: by id, or a range by number.</summary>
    internal sealed record IdChoice(string? Ids, int? First, int? Count)
    {
        public List<ClientId> From(List<ClientId> everyone)
        {
            if (Ids is not null)
            {
                if (First is not null)
                {
                    throw new UsageException("give either --client-ids or --first-client-id, not both");
                }

                var named = Ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => new ClientId(v)).ToList();
                var unknown = named.Where(id => !everyone.Contains(id)).ToList();
                if (named.Count == 0 || unknown.Count > 0)
                {
                    throw new UsageException($"--client-ids: {(named.Count == 0 ? "no id given" : string.Join(", ", unknown) + (unknown.Count == 1 ? " is" : " are") + " not among the run's clients")} ({everyone[0]} .. {everyone[^1]}, 'fedactors.simulation.clients' = {everyone.Count})");
                }

                if (named.Distinct().Count() != named.Count)
                {
                    throw new UsageException($"--client-ids names a client twice: {Ids}");
                }

                if (Count is { } k && k != named.Count)
                {
                    throw new UsageException($"--clients-on-node is {k}, but --client-ids names {named.Count} clients");
                }

                return [.. named.Order()];
            }

            var first = First ?? 0;
            if (first < 0 || first >= everyone.Count)
            {
                throw new UsageException($"--first-client-id is {first}, outside the run's clients 0..{everyone.Count - 1} ('fedactors.simulation.clients' = {everyone.Count})");
            }

            var count = Count ?? everyone.Count - first;
            if (count < 1 || first + count > everyone.Count)
            {
                throw new UsageException($"--clients-on-node is {count}: from client {first}, the run has {everyone.Count - first} clients left ('fedactors.simulation.clients' = {everyone.Count})");
            }

            return everyone.GetRange(first, count);
        }
    }
}
