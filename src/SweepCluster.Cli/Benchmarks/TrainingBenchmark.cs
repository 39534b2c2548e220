using System.CommandLine;
using System.Diagnostics;
using SweepCluster.Training.Data;
using SweepCluster.Training.Model;
using SweepCluster.Training.Trials;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>One measurement of training throughput.</summary>
public sealed record TrainingFigures(
    double MatmulGflops,
    double MflopPerImage,
    IReadOnlyList<double> RunnerImagesPerSecond,
    IReadOnlyList<double> BareImagesPerSecond)
{
    public double RunnerMedian => Median(RunnerImagesPerSecond);
    public double BareMedian => Median(BareImagesPerSecond);
    /// <summary>Median over pairs of runner / bare, each pair measured back to back.</summary>
    public double Ratio => Median(RunnerImagesPerSecond.Zip(BareImagesPerSecond, (r, b) => r / b).ToArray());
    public double EffectiveGflops => RunnerMedian * MflopPerImage / 1000;

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}

/// <summary>
/// Measures the trial runner's pre-training throughput against the plainest TorchSharp loop
/// over the same model, batch size and images, in pairs run back to back and in alternating
/// order (runner first, then bare first), so that drift in the machine's speed hits both alike;
/// and the machine's matmul FLOP/s in the same process.
/// </summary>
public sealed class TrainingBenchmark(DatasetCatalog catalog, int threads)
{
    /// <summary><c>sweep bench training</c>.</summary>
    public static Command CreateCommand()
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
        return training;
    }

    public TrainingFigures Run(TrialConfig config, int repeats, Action<string> log)
    {
        // Everything TorchSharp runs on this one thread: dispose scopes are per thread.
        TrainingFigures? figures = null;
        var thread = new Thread(() => figures = Measure(config.Normalise(), repeats, log)) { Name = "bench" };
        thread.Start();
        thread.Join();
        return figures!;
    }

    TrainingFigures Measure(TrialConfig config, int repeats, Action<string> log)
    {
        if (threads > 0) set_num_threads(threads);
        var runner = new TrialRunner(catalog);
        var options = new TrialRunOptions("cpu", threads);
        var data = catalog.Load(config.Dataset);
        var split = ValidationSplit.Carve(data.Train, config.Dataset.ValidationFraction, config.Seeds.Split);
        var train = data.Train.Select(split.Train);

        var gflops = MatmulGflops();
        log($"matmul 2048x2048: {gflops:F1} GFLOP/s");
        Bare(config, train, data.ClassCount); // warm-up: first-touch allocations and kernel selection
        var runnerRates = new List<double>();
        var bareRates = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            double RunnerRate() => runner.RunAsync(config, options).GetAwaiter().GetResult()
                .Epochs.Where(e => e.Phase == "pretrain").Average(e => e.ImagesPerSecond);
            double bare, measured;
            if (r % 2 == 0)
            {
                measured = RunnerRate();
                bare = Bare(config, train, data.ClassCount);
            }
            else
            {
                bare = Bare(config, train, data.ClassCount);
                measured = RunnerRate();
            }
            runnerRates.Add(measured);
            bareRates.Add(bare);
            log($"pair {r + 1}: runner {measured:F0} img/s, bare loop {bare:F0} img/s, ratio {measured / bare:F3}");
        }
        return new TrainingFigures(gflops, TrainingMflopPerImage(config.Model, train.Channels, train.Height, train.Width, data.ClassCount),
            runnerRates, bareRates);
    }

    /// <summary>The plainest loop: resident float tensor, torch.randperm, forward, loss, backward, step.</summary>
    static double Bare(TrialConfig config, ImageSet train, int classes)
    {
        using var scope = NewDisposeScope();
        var x = tensor(train.Pixels, [train.Count, train.Channels, train.Height, train.Width]).to_type(ScalarType.Float32).div_(255);
        x = (x - x.mean()) / x.std();
        var y = tensor(train.Labels.Select(l => (long)l).ToArray());
        using var model = new ArbitraryLabelNet(config.Model, train.Channels, train.Height, train.Width, classes, withFeatures: true);
        using var optimizer = optim.Adam(model.parameters(), config.LearningRate);
        model.train();
        var order = randperm(train.Count);
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < train.Count; start += config.BatchSize)
        {
            using var step = NewDisposeScope();
            var index = order.narrow(0, start, Math.Min(config.BatchSize, train.Count - start));
            var loss = nn.functional.cross_entropy(model.forward(x.index_select(0, index)), y.index_select(0, index));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
        }
        return train.Count / clock.Elapsed.TotalSeconds;
    }

    static double MatmulGflops()
    {
        const int n = 2048;
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        a.matmul(b).Dispose();
        const int reps = 10;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < reps; i++) a.matmul(b).Dispose();
        return 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
    }

    /// <summary>
    /// Training FLOPs per image: 2 per multiply-add forward, twice that backward (gradients of
    /// weights and of inputs), so 6 x the forward multiply-adds of the convolutions and dense layers.
    /// </summary>
    public static double TrainingMflopPerImage(ModelConfig m, int channels, int height, int width, int classes)
    {
        var h1 = height - m.Kernel + 1;
        var w1 = width - m.Kernel + 1;
        var h2 = h1 - m.Kernel + 1;
        var w2 = w1 - m.Kernel + 1;
        double macs = (double)h1 * w1 * m.Conv1 * channels * m.Kernel * m.Kernel
                      + (double)h2 * w2 * m.Conv2 * m.Conv1 * m.Kernel * m.Kernel
                      + (double)h2 * w2 * m.Conv2 * m.Dense
                      + (double)m.Dense * classes;
        return 6 * macs / 1e6;
    }
}
