using FedActors.Cli;
using FedActors.Cli.Simulation;

return await CliApplication.RunAsync(args, CliConsole.FromProcess(), new TorchSimulationEngine());
