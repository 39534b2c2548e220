using System.CommandLine;
using System.Diagnostics;
using SweepCluster.Cli.Commands;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Sweeps;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>One way of running a spec's trials, measured once.</summary>
/// <param name="WallSeconds">Embedded node: from starting the node to the sweep complete. Bare: the whole loop.</param>
/// <param name="ComputeSeconds">Sum over the trials of their training and evaluation time (<see cref="Timings.ComputeSeconds"/>).</param>
public sealed record SlotsRun(string Setup, double WallSeconds, double ComputeSeconds, long TrainedImages)
{
    /// <summary>Trained images over wall time: what a user waiting for the sweep gets.</summary>
    public double ImagesPerSecond => TrainedImages / WallSeconds;
}

/// <summary>
/// How to spend a node's cores, and what the cluster costs. The spec (the quickstart by default)
/// runs three ways, in this order in odd repeats and the reverse in even ones so that drift in
/// the machine's speed hits all alike:
/// an embedded node (as <c>sweep run</c>) with one CPU slot using every core; an embedded node
/// with one slot per core, one thread each; and bare: the same trials, expanded by
/// <see cref="SweepPlanner"/>, run one after another straight through <see cref="TrialRunner"/>
/// with every core (no actors, no database). Each way starts with a new dataset catalog, so each
/// pays for loading the data once.
/// </summary>
public static class SlotsBenchmark
{
    /// <summary><c>sweep bench slots</c>.</summary>
    public static Command CreateCommand()
    {
        var spec = new Option<FileInfo>("--spec") { Description = "Sweep spec", DefaultValueFactory = _ => new FileInfo(Path.Combine("examples", "quickstart.yaml")) };
        var repeats = new Option<int>("--repeats") { Description = "Rounds of the three ways (order reversed every other round)", DefaultValueFactory = _ => 2 };
        var command = new Command("slots", "A sweep on one slot with every core against one slot per core, and a whole embedded sweep against its trials run bare")
        {
            spec, repeats,
        };
        command.SetAction(async (parse, _) =>
        {
            var file = parse.GetValue(spec)!;
            if (!file.Exists || parse.GetValue(repeats) < 1)
            {
                Console.Error.WriteLine($"error: {(file.Exists ? "--repeats must be at least 1" : $"no spec at {file.FullName}")}");
                return 2;
            }
            var yaml = await File.ReadAllTextAsync(file.FullName);
            var cores = Environment.ProcessorCount;
            var oneSlot = $"1 slot x {cores} threads";
            var slotPerCore = $"{cores} slots x 1 thread";
            const string bare = "bare TrialRunner, one trial after another";
            var runs = new List<SlotsRun>();
            for (var r = 0; r < parse.GetValue(repeats); r++)
            {
                string[] order = r % 2 == 0 ? [oneSlot, slotPerCore, bare] : [bare, slotPerCore, oneSlot];
                foreach (var setup in order)
                {
                    Console.Error.WriteLine($"round {r + 1}: {setup} ...");
                    var run = setup switch
                    {
                        bare => Bare(setup, yaml, file.FullName, cores),
                        _ when setup == oneSlot => await Embedded(setup, yaml, file.FullName, "cpu:1", cores),
                        _ => await Embedded(setup, yaml, file.FullName, $"cpu:{cores}", 1),
                    };
                    runs.Add(run);
                    Console.Error.WriteLine($"round {r + 1}: {setup}: {run.WallSeconds:F1} s, {run.TrainedImages} images, {run.ImagesPerSecond:F0} images/s " +
                                            $"(trials' compute {run.ComputeSeconds:F1} s)");
                }
            }

            double Median(string setup, Func<SlotsRun, double> figure) => TrainingFigures.Median(runs.Where(x => x.Setup == setup).Select(figure).ToArray());
            var rounds = runs.Chunk(3).Select(round => round.ToDictionary(x => x.Setup)).ToList();
            var sweepOverBare = TrainingFigures.Median(rounds.Select(round => round[oneSlot].ImagesPerSecond / (round[bare].TrainedImages / round[bare].ComputeSeconds)).ToArray());
            var sweepOverBareWall = TrainingFigures.Median(rounds.Select(round => round[oneSlot].ImagesPerSecond / round[bare].ImagesPerSecond).ToArray());
            var slotsOverOne = TrainingFigures.Median(rounds.Select(round => round[slotPerCore].ImagesPerSecond / round[oneSlot].ImagesPerSecond).ToArray());
            var images = runs[0].TrainedImages;

            Console.WriteLine($"{Path.GetFileName(file.FullName)}: {images:N0} trained images per run; {cores} cores; medians of {parse.GetValue(repeats)} rounds");
            Console.WriteLine();
            Console.WriteLine("| how | wall time | trained images / wall time | sum of the trials' compute time |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var setup in new[] { oneSlot, slotPerCore })
                Console.WriteLine($"| embedded sweep, {setup} | {Median(setup, x => x.WallSeconds):F1} s | {Median(setup, x => x.ImagesPerSecond):F0} images/s | {Median(setup, x => x.ComputeSeconds):F1} s |");
            Console.WriteLine($"| {bare} | {Median(bare, x => x.WallSeconds):F1} s | {Median(bare, x => x.ImagesPerSecond):F0} images/s " +
                              $"(over compute time alone: {Median(bare, x => x.TrainedImages / x.ComputeSeconds):F0} images/s) | {Median(bare, x => x.ComputeSeconds):F1} s |");
            Console.WriteLine();
            Console.WriteLine("| ratio (median of the per-round ratios) | value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| {slotPerCore} / {oneSlot}, images/s | {slotsOverOne:F3} |");
            Console.WriteLine($"| whole sweep ({oneSlot}) / bare trials' images over their compute time | {sweepOverBare:F3} |");
            Console.WriteLine($"| whole sweep ({oneSlot}) / bare loop's images over its wall time | {sweepOverBareWall:F3} |");
            return 0;
        });
        return command;
    }

    static async Task<SlotsRun> Embedded(string setup, string yaml, string specFile, string devices, int threads)
    {
        var run = await EmbeddedSweep.RunAsync(yaml, specFile, devices, threads, TimeSpan.FromMilliseconds(100), _ => { });
        return new SlotsRun(setup, run.WallSeconds, run.Results.Sum(t => t.Timings.ComputeSeconds), run.Results.Sum(EmbeddedSweep.TrainedImages));
    }

    static SlotsRun Bare(string setup, string yaml, string specFile, int threads)
    {
        var roots = DataRootOption.Resolve(null, specFile);
        var plan = SweepPlanner.Plan(yaml, specFile, SpecOptions.Confined(roots));
        var runner = new TrialRunner(new DatasetCatalog(new DataSettings { DataRoots = roots }));
        var options = new TrialRunOptions("cpu", threads);
        var clock = Stopwatch.StartNew();
        var results = plan.Trials.Select(t => runner.RunAsync(t.Config, options).GetAwaiter().GetResult()).ToList();
        return new SlotsRun(setup, clock.Elapsed.TotalSeconds,
            results.Sum(t => t.Timings.ComputeSeconds), results.Sum(EmbeddedSweep.TrainedImages));
    }
}
