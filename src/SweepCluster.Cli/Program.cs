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
// Ctrl-C and SIGTERM cancel the command's token; System.CommandLine then waits this long for the
// command to end before it returns its own exit code (130, 143) from under it, 2 s unless told.
// `sweep run` and `sweep node` stop their node on cancellation (workers hand back their trials,
// the node leaves the cluster), which may take up to SweepNode.StopTimeout: they get that, and
// time to report, and still end within Kubernetes' default 60 s grace period.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = SweepCluster.Cluster.Hosting.SweepNode.StopTimeout + TimeSpan.FromSeconds(10) };
var parsed = root.Parse(args);
var code = await parsed.InvokeAsync(invocation);
// An unknown option or a value of the wrong form is bad input like any other the commands
// refuse: exit code 2, not System.CommandLine's 1, so scripts see one code for "fix your input".
return parsed.Action is ParseErrorAction ? 2 : code;
