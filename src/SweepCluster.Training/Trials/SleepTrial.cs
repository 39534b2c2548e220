namespace SweepCluster.Training.Trials;

/// <summary>
/// The built-in <see cref="TrialKind.Sleep"/> trial: waits, then returns a synthetic result whose
/// accuracies depend only on the configuration and seed (an arm-specific mean plus seed noise of
/// about half a point), so scheduling, persistence and aggregation can be exercised at thousands of
/// trials per second with results that still look like the experiment's.
/// </summary>
public static class SleepTrial
{
    /// <summary>
    /// Waits without holding a thread: a sleep trial touches no tensors, so it needs none of its
    /// own, and starting one per trial would cost more than the trial (this is what the scheduler
    /// benchmark runs thousands of per second).
    /// </summary>
    public static async Task<TrialResult> RunAsync(TrialConfig config, string configHash, CancellationToken cancellation)
    {
        var started = DateTimeOffset.UtcNow;
        if (config.SleepMs > 0) await Task.Delay(config.SleepMs, cancellation);
        else cancellation.ThrowIfCancellationRequested();
        return Result(config, configHash, started);
    }

    /// <summary>The synthetic result of a sleep trial started at <paramref name="started"/>.</summary>
    public static TrialResult Result(TrialConfig config, string configHash, DateTimeOffset started)
    {
        var rng = new SplitMix64(SeedStreams.Derive(config.Seed, "sleep/" + configHash));
        var mean = config.Arm switch
        {
            Arm.True => 0.85,
            Arm.Noisy => 0.85 - 0.15 * config.Noise,
            Arm.RandomFrozen => 0.80,
            _ => 0.75,
        };
        var test = Math.Clamp(mean + 0.005 * Gaussian(rng), 0, 1);
        double? before = config.HasFeatures ? Math.Clamp((config.HasPretraining ? mean - 0.05 : 0.1) + 0.005 * Gaussian(rng), 0, 1) : null;
        var seconds = config.SleepMs / 1000.0;
        return new TrialResult(
            TrialConfig.SchemaVersion, configHash, config, "synthetic", config.Seeds, null,
            new SplitRecord(0, 0, 0, false, ""), [], [], before, test, [], "", [], [],
            new Timings(0, seconds, seconds), 0,
            new RunEnvironment("none", 0, "", "", System.Environment.MachineName, TrialRunner.CodeVersion),
            started, DateTimeOffset.UtcNow, "completed");
    }

    /// <summary>A standard normal draw (Box-Muller).</summary>
    static double Gaussian(SplitMix64 rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
