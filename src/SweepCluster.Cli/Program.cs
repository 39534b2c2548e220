using System.CommandLine;
using SweepCluster.Cli.Commands;

var root = new RootCommand("SweepCluster: sweeps of the arbitrary-label experiment, from one trial to a cluster.")
{
    TrialCommand.Create(),
    BenchCommand.Create(),
    ValidateCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
