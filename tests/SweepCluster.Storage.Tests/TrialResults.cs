using System.Globalization;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage.Tests;

/// <summary>
/// Builds <see cref="TrialResult"/>s without training: the store only moves records, so made-up
/// numbers do. Values are awkward on purpose (long fractions, a non-UTC start time, a noise seed
/// above long.MaxValue) to catch anything that does not round-trip exactly.
/// </summary>
public static class TrialResults
{
    public static readonly DateTimeOffset StartedAt = new DateTimeOffset(2026, 3, 14, 15, 9, 26, TimeSpan.FromHours(2)).AddTicks(5_358_970);

    public static TrialResult Make(Arm arm, int seed, double noise = 0, string status = "completed", ulong? noiseSeed = null)
    {
        var config = new TrialConfig
        {
            Arm = arm,
            Seed = seed,
            Noise = noise,
            NoiseSeed = noiseSeed,
            PretrainEpochs = 2,
            FinetuneEpochs = 2,
            Dataset = new DatasetConfig { TrainLimit = 5_000 },
        }.Normalise();
        var accuracy = 0.5 + seed / 1000.0 + noise / 7.0;
        var epochs = new List<EpochMetrics>();
        foreach (var (phase, count) in new[] { ("pretrain", config.PretrainEpochs), ("finetune", config.FinetuneEpochs) })
            for (var epoch = 1; epoch <= count; epoch++)
                epochs.Add(new EpochMetrics(phase, epoch,
                    TrainLoss: 2.302585092994046 / epoch,
                    TrainAccuracy: accuracy / 3,
                    TrainTrueAccuracy: accuracy / 7,
                    CleanTrueAccuracy: arm == Arm.Noisy ? accuracy / 11 : null,
                    CorruptedTrueAccuracy: arm == Arm.Noisy ? accuracy / 13 : null,
                    CorruptedMemorisedAccuracy: arm == Arm.Noisy ? accuracy / 17 : null,
                    ValidationAccuracy: accuracy / 19 + epoch,
                    ValidationLoss: 1.0 / 3 + epoch,
                    Seconds: 12.345678901234567,
                    ImagesPerSecond: 729.0 / 7));
        return new TrialResult(
            TrialConfig.SchemaVersion,
            config.Hash(),
            config,
            DatasetConfig.BundledSubset,
            config.Seeds,
            arm == Arm.Noisy ? new CorruptionRecord(4_500, noise * 0.9, "labels-hash", "mask-hash") : null,
            new SplitRecord(4_500, 500, 2_000, false, "split-hash"),
            [0.2860, 0.3530],
            epochs,
            config.HasFeatures ? accuracy / 5 : null,
            accuracy,
            Enumerable.Range(0, 10).Select(c => accuracy - c / 100.0).ToArray(),
            Convert.ToBase64String([1, 2, 3, 4]),
            [new LayerStats("finetune", "head.0.weight", 12.5, 3.25)],
            [new Checkpoint("init", "features-hash", "head-hash")],
            new Timings(0.5, 30.25, 31.0 + 1.0 / 3),
            1_234.567_890_123,
            new RunEnvironment("cpu", 2, "0.107.0", "2.10.0", "test-host", "test"),
            StartedAt.AddMinutes(seed),
            StartedAt.AddMinutes(seed + 1).AddTicks(10),
            status);
    }

    /// <summary>The cell a trial belongs to: everything but the seed, as a sweep would group it.</summary>
    public static string CellKey(TrialResult result) =>
        string.Create(CultureInfo.InvariantCulture, $"{TrialConfig.Format(result.Config.Arm)}/noise={result.Config.Noise}");

    public static ResultRow Row(Arm arm, int seed, double noise = 0, string status = "completed", ulong? noiseSeed = null)
    {
        var result = Make(arm, seed, noise, status, noiseSeed);
        return ResultRow.From(result, CellKey(result), "worker-1");
    }
}
