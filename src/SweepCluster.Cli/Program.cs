using System.CommandLine;
using System.CommandLine.Invocation;
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
var parsed = root.Parse(args);
var code = await parsed.InvokeAsync();
// An unknown option or a value of the wrong form is bad input like any other the commands
// refuse: exit code 2, not System.CommandLine's 1, so scripts see one code for "fix your input".
return parsed.Action is ParseErrorAction ? 2 : code;
