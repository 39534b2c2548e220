using System.CommandLine;
using SweepCluster.Cli.Commands;

var root = new RootCommand("SweepCluster: sweeps of the arbitrary-label experiment, from one trial to a cluster.")
{
    RunCommand.Create(),
    ValidateCommand.Create(),
    TrialCommand.Create(),
    SubmitCommand.Create(),
    ResultsCommand.Create(),
    NodeCommand.Create(),
    BenchCommand.Create(),
};
foreach (var command in StatusCommands.Create()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
