using System.CommandLine;
using Spectre.Console;
using SweepCluster.Cli.Commands;

// Piped into a file or another program, tables keep whole ids instead of wrapping at 80 columns.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 240;

var root = new RootCommand("SweepCluster: sweeps of the arbitrary-label experiment, from one trial to a cluster.")
{
    RunCommand.Create(),
    ValidateCommand.Create(),
    TrialCommand.Create(),
    SubmitCommand.Create(),
    ResultsCommand.Create(),
    ReportCommand.Create(),
    NodeCommand.Create(),
    BenchCommand.Create(),
};
foreach (var command in StatusCommands.Create()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
