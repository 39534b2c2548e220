using System.CommandLine;
using System.Diagnostics;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>One round of K seeds, trained fused and one after another.</summary>
/// <param name="ImagesPerModel">Pre-training images of one model: its training split times its pre-training epochs.</param>
/// <param name="FusedTrainingSeconds">The fused group's pre-training epoch(s), in which every slot trains its images.</param>
/// <param name="UnfusedTrainingSeconds">The sum of the K lone trials' pre-training epochs.</param>
/// <param name="FusedWallSeconds">From <see cref="TrialRunner.RunFused"/> to its last result: data preparation, training and evaluation.</param>
/// <param name="UnfusedWallSeconds">The K lone trials' wall times, summed.</param>
/// <param name="FusedCpuSeconds">CPU time this process spent on the fused group (all threads): a cost that other work on the machine slows less than it slows the wall clock.</param>
/// <param name="UnfusedCpuSeconds">CPU time this process spent on the K lone trials.</param>
public sealed record FusedRound(int Slots, long ImagesPerModel, double FusedTrainingSeconds, double UnfusedTrainingSeconds,
    double FusedWallSeconds, double UnfusedWallSeconds, double FusedCpuSeconds, double UnfusedCpuSeconds)
{
    /// <summary>Pre-training images of all K models over the fused group's pre-training time.</summary>
    public double FusedImagesPerSecond => Slots * ImagesPerModel / FusedTrainingSeconds;

    /// <summary>Pre-training images of all K models over the K lone trials' pre-training time.</summary>
    public double UnfusedImagesPerSecond => Slots * ImagesPerModel / UnfusedTrainingSeconds;
}

/// <summary>
/// Fused seeds against the same trials one after another: for each K, K seeds of one cell (arm
/// true, the bundled subset) through <see cref="TrialRunner.RunFused"/> and then through
/// <see cref="TrialRunner.RunAsync"/> one at a time, in the reverse order every other round so
/// that drift in the machine's speed hits both alike. The training figure is the pre-training
/// epoch, where the whole network trains (the epoch's own clock, without its validation pass); the
/// whole-trial figures (wall time, and this process's CPU time, which other work on a shared
/// machine disturbs less) add data preparation, fine-tuning and the test evaluations. One catalog
/// serves every run, so the data is decoded once, before the first measurement.
/// </summary>
public static class FusedBenchmark
{
    /// <summary><c>sweep bench fused</c>.</summary>
    public static Command CreateCommand()
    {
        var slots = new Option<int[]>("--k") { Description = "Seeds per fused group (K), each measured", DefaultValueFactory = _ => [2, 4, 8], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Rounds of fused and one-after-another per K (order reversed every other round)", DefaultValueFactory = _ => 2 };
        var device = new Option<string>("--device") { Description = "cpu | cuda | cuda:N (cuda needs the build with -p:TorchDevice=cuda)", DefaultValueFactory = _ => "cpu" };
        var threads = new Option<int>("--threads") { Description = "Torch threads (0: libtorch's default)", DefaultValueFactory = _ => 0 };
        var trainLimit = new Option<int>("--train-limit") { Description = "Use only the first N of the bundled subset's 10,000 training images (the validation split comes out of these)", DefaultValueFactory = _ => 1000 };
        var batchSize = new Option<int>("--batch-size") { Description = "Mini-batch size of every model", DefaultValueFactory = _ => 64 };
        var command = new Command("fused", "K seeds trained as one fused model against the same K trials one after another")
        {
            slots, repeats, device, threads, trainLimit, batchSize,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            var ks = parse.GetValue(slots)!;
            var repeatCount = parse.GetValue(repeats);
            if (ks.Length == 0 || ks.Any(k => k < 1) || repeatCount < 1)
            {
                Console.Error.WriteLine("error: --k needs values of at least 1, and --repeats must be at least 1");
                return 2;
            }
            var options = new TrialRunOptions(parse.GetValue(device)!, parse.GetValue(threads));
            var cell = new TrialConfig
            {
                Arm = Arm.True,
                BatchSize = parse.GetValue(batchSize),
                Dataset = new DatasetConfig { TrainLimit = parse.GetValue(trainLimit) },
            };
            var runner = new TrialRunner(new DatasetCatalog(new DataSettings()));
            // Warm-up, lone and fused: loads the data and lets libtorch pick its kernels before anything is timed.
            var warm = await runner.RunAsync(cell with { Seed = 1_000 }, options, cancellation: cancellation);
            await Task.WhenAll(runner.RunFused([cell with { Seed = 1_001 }, cell with { Seed = 1_002 }], options, cancellation: cancellation));
            // Every model of every round pre-trains on a split of the same size as the warm-up's.
            var imagesPerModel = (long)warm.Split.Train * warm.Config.PretrainEpochs;
            Console.Error.WriteLine($"warm-up: {warm.Environment.Device}, {warm.Environment.Threads} threads, {imagesPerModel} pre-training images per model");

            var rounds = new List<FusedRound>();
            for (var r = 0; r < repeatCount; r++)
            foreach (var k in ks)
            {
                var configs = Enumerable.Range(1, k).Select(seed => cell with { Seed = r * 100 + seed }).ToArray();
                var round = await MeasureAsync(runner, configs, options, imagesPerModel, fusedFirst: r % 2 == 0, cancellation);
                rounds.Add(round);
                Console.Error.WriteLine($"round {r + 1}, K={k}: pre-training {round.FusedImagesPerSecond:F0} images/s fused, {round.UnfusedImagesPerSecond:F0} one after another " +
                                        $"({round.FusedImagesPerSecond / round.UnfusedImagesPerSecond:F3}); whole trials {round.FusedWallSeconds:F1} s against {round.UnfusedWallSeconds:F1} s, " +
                                        $"CPU {round.FusedCpuSeconds:F1} s against {round.UnfusedCpuSeconds:F1} s");
            }

            Console.WriteLine($"arm true, bundled subset, {imagesPerModel} pre-training images per model, batch {cell.BatchSize}; " +
                              $"{warm.Environment.Device}, {warm.Environment.Threads} threads; medians of {repeatCount} rounds");
            Console.WriteLine();
            Console.WriteLine("| K | pre-training, fused (images/s, all K models) | one after another | fused / one after another | whole trials, fused (wall) | one after another | one after another / fused | whole trials' CPU time, one after another / fused |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|");
            foreach (var k in ks)
            {
                var of = rounds.Where(x => x.Slots == k).ToArray();
                double Median(Func<FusedRound, double> figure) => TrainingFigures.Median(of.Select(figure).ToArray());
                Console.WriteLine($"| {k} | {Median(x => x.FusedImagesPerSecond):F0} | {Median(x => x.UnfusedImagesPerSecond):F0} | " +
                                  $"{Median(x => x.FusedImagesPerSecond / x.UnfusedImagesPerSecond):F3} | {Median(x => x.FusedWallSeconds):F1} s | " +
                                  $"{Median(x => x.UnfusedWallSeconds):F1} s | {Median(x => x.UnfusedWallSeconds / x.FusedWallSeconds):F3} | " +
                                  $"{Median(x => x.UnfusedCpuSeconds / x.FusedCpuSeconds):F3} |");
            }
            return 0;
        });
        return command;
    }

    static async Task<FusedRound> MeasureAsync(TrialRunner runner, TrialConfig[] configs, TrialRunOptions options, long imagesPerModel,
        bool fusedFirst, CancellationToken cancellation)
    {
        async Task<(double Training, double Wall, double Cpu)> Fused()
        {
            var cpu = CpuSeconds();
            var clock = Stopwatch.StartNew();
            var results = await Task.WhenAll(runner.RunFused(configs, options, cancellation: cancellation));
            return (PretrainingSeconds(results[0]), clock.Elapsed.TotalSeconds, CpuSeconds() - cpu);
        }

        async Task<(double Training, double Wall, double Cpu)> OneAfterAnother()
        {
            double training = 0, wall = 0;
            var cpu = CpuSeconds();
            foreach (var config in configs)
            {
                var clock = Stopwatch.StartNew();
                training += PretrainingSeconds(await runner.RunAsync(config, options, cancellation: cancellation));
                wall += clock.Elapsed.TotalSeconds;
            }
            return (training, wall, CpuSeconds() - cpu);
        }

        var first = await (fusedFirst ? Fused() : OneAfterAnother());
        var second = await (fusedFirst ? OneAfterAnother() : Fused());
        var (fused, alone) = fusedFirst ? (first, second) : (second, first);
        return new FusedRound(configs.Length, imagesPerModel, fused.Training, alone.Training, fused.Wall, alone.Wall, fused.Cpu, alone.Cpu);
    }

    static double CpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    static double PretrainingSeconds(TrialResult result) => result.Epochs.Where(e => e.Phase == "pretrain").Sum(e => e.Seconds);
}
