using System.CommandLine;

namespace SweepCluster.Cli.Commands;

public static class BenchCommand
{
    public static Command Create() => new("bench", "Benchmarks (placeholder until written)");
}
