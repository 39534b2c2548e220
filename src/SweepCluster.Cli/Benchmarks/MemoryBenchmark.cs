using System.CommandLine;
using System.Globalization;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>This process's memory when a trial had just completed.</summary>
/// <param name="Trial">Trials completed so far.</param>
/// <param name="RssMegabytes">VmRSS: resident now.</param>
/// <param name="PeakMegabytes">VmHWM: the most ever resident.</param>
/// <param name="ManagedMegabytes">The managed heap (GC.GetTotalMemory, without collecting).</param>
public sealed record MemorySample(int Trial, double RssMegabytes, double PeakMegabytes, double ManagedMegabytes);

/// <summary>
/// Peak resident memory of a worker over many consecutive real trials. An embedded node (as in
/// <c>sweep run</c>: coordinator, projection and one CPU worker slot in this process) runs a sweep
/// of small training trials, one arm, seeds 1..N; after each completed trial this process's
/// VmRSS and VmHWM are read from /proc/self/status. Every trial allocates the same native tensors
/// and managed arrays, so once the first trials have warmed up allocators and caches, resident
/// memory should stay flat: any slope is memory that trials leave behind.
/// </summary>
public static class MemoryBenchmark
{
    const int SlopeFrom = 10;

    /// <summary><c>sweep bench memory</c>.</summary>
    public static Command CreateCommand()
    {
        var trials = new Option<int>("--trials") { Description = "Consecutive trials (seeds 1..N)", DefaultValueFactory = _ => 100 };
        var trainLimit = new Option<int>("--train-limit") { Description = "Training images of each trial (before the validation split)", DefaultValueFactory = _ => 500 };
        var arm = new Option<string>("--arm") { Description = "true | noisy | random-frozen | head-only", DefaultValueFactory = _ => "true" };
        var command = new Command("memory", "Resident memory of an embedded node's worker over consecutive real trials: after trial 1, 10, N/2, N, the peak and the slope")
        {
            trials, trainLimit, arm,
        };
        command.SetAction(async (parse, _) =>
        {
            var count = parse.GetValue(trials);
            if (count <= SlopeFrom + 1)
            {
                Console.Error.WriteLine($"error: --trials must be more than {SlopeFrom + 1} (the slope is fitted from trial {SlopeFrom} on)");
                return 2;
            }
            var yaml = $"""
                name: memory
                dataset:
                  name: fashion-mnist-subset
                  train_limit: {parse.GetValue(trainLimit)}
                epochs: 1
                arms: [{parse.GetValue(arm)}]
                seeds: {count}
                """;
            var samples = new List<MemorySample>();
            var run = await EmbeddedSweep.RunAsync(yaml, Path.Combine(Environment.CurrentDirectory, "memory.yaml"), "cpu", 0,
                TimeSpan.FromMilliseconds(50), status =>
                {
                    // One slot runs one trial at a time, and a trial takes seconds: polling every
                    // 50 ms sees each completion on its own, a few milliseconds after it.
                    if (status.Summary!.Completed <= samples.Count) return;
                    var (rss, peak) = ResidentMegabytes();
                    var managed = GC.GetTotalMemory(forceFullCollection: false) / 1e6;
                    while (samples.Count < status.Summary.Completed)
                    {
                        samples.Add(new MemorySample(samples.Count + 1, rss, peak, managed));
                        Console.Error.WriteLine($"trial {samples.Count}: RSS {rss:F0} MB, peak {peak:F0} MB, managed heap {managed:F0} MB");
                    }
                });

            var fitted = samples.Where(s => s.Trial >= SlopeFrom).ToList();
            var slope = Slope(fitted.Select(s => (double)s.Trial).ToArray(), fitted.Select(s => s.RssMegabytes).ToArray());
            var managedSlope = Slope(fitted.Select(s => (double)s.Trial).ToArray(), fitted.Select(s => s.ManagedMegabytes).ToArray());
            var trialSeconds = run.Results.Average(r => r.Timings.TotalSeconds);
            Console.WriteLine($"{count} `{parse.GetValue(arm)}` trials, train_limit {parse.GetValue(trainLimit)}, one epoch per phase, one CPU slot " +
                              $"({run.Results[0].Environment.Threads} threads), {trialSeconds:F1} s per trial, {run.WallSeconds:F0} s in all");
            Console.WriteLine();
            Console.WriteLine("| after trial | RSS | peak RSS so far (VmHWM) | managed heap |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var trial in new[] { 1, SlopeFrom, count / 2, count }.Distinct().Order())
            {
                var s = samples[trial - 1];
                Console.WriteLine($"| {trial} | {s.RssMegabytes:F0} MB | {s.PeakMegabytes:F0} MB | {s.ManagedMegabytes:F0} MB |");
            }
            Console.WriteLine();
            Console.WriteLine("| figure | value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine($"| peak RSS of the process (VmHWM after the last trial) | {samples[^1].PeakMegabytes:F0} MB |");
            Console.WriteLine($"| highest RSS seen after a trial | {samples.Max(s => s.RssMegabytes):F0} MB (after trial {samples.MaxBy(s => s.RssMegabytes)!.Trial}) |");
            Console.WriteLine($"| RSS slope, least squares over trials {SlopeFrom}..{count} | {slope:F3} MB per trial |");
            Console.WriteLine($"| managed heap slope, same trials | {managedSlope:F3} MB per trial |");
            return 0;
        });
        return command;
    }

    /// <summary>VmRSS and VmHWM of this process, in MB (the kernel reports kB).</summary>
    public static (double Rss, double Peak) ResidentMegabytes()
    {
        double Field(string[] lines, string name) =>
            double.Parse(lines.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim().Split(' ')[0],
                CultureInfo.InvariantCulture) * 1024 / 1e6;
        var status = File.ReadAllLines("/proc/self/status");
        return (Field(status, "VmRSS"), Field(status, "VmHWM"));
    }

    /// <summary>Least-squares slope of y on x.</summary>
    static double Slope(double[] x, double[] y)
    {
        var (mx, my) = (x.Average(), y.Average());
        return x.Zip(y, (a, b) => (a - mx) * (b - my)).Sum() / x.Sum(a => (a - mx) * (a - mx));
    }
}
