using System.CommandLine;
using SweepCluster.Cli.Benchmarks;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep bench</c>: the measurements recorded in docs/benchmarks.md, one subcommand per benchmark (each defined beside its code in Benchmarks/).</summary>
public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks; results and how to reproduce them are in docs/benchmarks.md")
    {
        TrainingBenchmark.CreateCommand(),
        SchedulingBenchmark.CreateCommand(),
        RecoveryBenchmark.CreateCommand(),
        DataBenchmark.CreateCommand(),
        MemoryBenchmark.CreateCommand(),
        SlotsBenchmark.CreateCommand(),
        FusedBenchmark.CreateCommand(),
    };
}
