using System.CommandLine;
using SweepCluster.Cli.Benchmarks;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep bench</c>: the measurements recorded in docs/benchmarks.md.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var repeats = new Option<int>("--repeats") { Description = "Interleaved runner/bare pairs", DefaultValueFactory = _ => 4 };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0: libtorch's default)", DefaultValueFactory = _ => 0 };
        var batchSize = new Option<int>("--batch-size") { Description = "Mini-batch size", DefaultValueFactory = _ => 64 };
        var trainLimit = new Option<int?>("--train-limit") { Description = "Use only the first N training images" };
        var training = new Command("training", "Trial runner images/s against a bare TorchSharp loop, and effective FLOP/s against matmul FLOP/s")
        {
            repeats, threads, batchSize, trainLimit,
        };
        training.SetAction(parse =>
        {
            var config = new TrialConfig
            {
                Arm = Arm.True,
                Seed = 1,
                BatchSize = parse.GetValue(batchSize),
                Dataset = new DatasetConfig { TrainLimit = parse.GetValue(trainLimit) },
            };
            var benchmark = new TrainingBenchmark(new DatasetCatalog(new DataSettings()), parse.GetValue(threads));
            var f = benchmark.Run(config, parse.GetValue(repeats), Console.Error.WriteLine);
            Console.WriteLine("| figure | value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| trial runner, pre-training (median of {f.RunnerImagesPerSecond.Count}) | {f.RunnerMedian:F0} images/s |");
            Console.WriteLine($"| bare TorchSharp loop, same model, batch and data (median) | {f.BareMedian:F0} images/s |");
            Console.WriteLine($"| runner / bare (median of the per-pair ratios) | {f.Ratio:F3} |");
            Console.WriteLine($"| training FLOPs per image (6 x forward multiply-adds) | {f.MflopPerImage:F1} MFLOP |");
            Console.WriteLine($"| effective training throughput | {f.EffectiveGflops:F1} GFLOP/s |");
            Console.WriteLine($"| matmul 2048x2048 float32 | {f.MatmulGflops:F1} GFLOP/s |");
            Console.WriteLine($"| effective / matmul | {f.EffectiveGflops / f.MatmulGflops:F3} |");
            return 0;
        });
        return new Command("bench", "Benchmarks; results and how to reproduce them are in docs/benchmarks.md") { training };
    }
}
