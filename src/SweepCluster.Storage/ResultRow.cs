using System.Text.Json;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage;

/// <summary>
/// One trial as the <c>trial_results</c> table holds it: every configuration field in its own
/// column (so sweeps can be filtered and grouped in SQL), the headline metrics, and the full
/// configuration and result as JSON, which keep everything the columns leave out. Enum values
/// are stored as the kebab-case names the trial JSON uses.
/// </summary>
public sealed record ResultRow
{
    /// <summary>The kind of every trial that trains the CNN; the only kind so far.</summary>
    public const string TrainKind = "train";

    /// <summary>The trial's <c>config_hash</c>: equal configurations share one row.</summary>
    public required string TrialId { get; init; }
    public string Kind { get; init; } = TrainKind;
    public required string Arm { get; init; }
    public required double Noise { get; init; }
    public required string NoiseModel { get; init; }
    public ulong? NoiseSeed { get; init; }
    public required int Seed { get; init; }
    /// <summary>The name of the dataset the trial actually read (what <c>auto</c> resolved to, for one).</summary>
    public required string Dataset { get; init; }
    public string? DatasetPath { get; init; }
    public int? TrainLimit { get; init; }
    public required double ValidationFraction { get; init; }
    public int? ImageSize { get; init; }
    public int? Channels { get; init; }
    public string? GroupFile { get; init; }
    public required int ModelConv1 { get; init; }
    public required int ModelConv2 { get; init; }
    public required int ModelDense { get; init; }
    public required int ModelKernel { get; init; }
    public required int PretrainEpochs { get; init; }
    public required int FinetuneEpochs { get; init; }
    public required double LearningRate { get; init; }
    public required int BatchSize { get; init; }
    public required string Head { get; init; }
    public required string Optimizer { get; init; }
    /// <summary>Groups the trials that differ only in seed, for aggregation over seeds.</summary>
    public required string CellKey { get; init; }
    public double? PreFinetuneTestAccuracy { get; init; }
    public required double TestAccuracy { get; init; }
    public required double ImagesPerSecond { get; init; }
    public required double TotalSeconds { get; init; }
    public required string Status { get; init; }
    public required string Worker { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    /// <summary>The canonical configuration JSON (sorted keys, schema version included).</summary>
    public required string ConfigJson { get; init; }
    /// <summary>The whole <see cref="TrialResult"/> as the trial JSON writes it.</summary>
    public required string ResultJson { get; init; }
    /// <summary>The per-epoch curves in training order, also stored one row each in <c>epoch_metrics</c>.</summary>
    public required IReadOnlyList<EpochMetrics> Epochs { get; init; }

    public static ResultRow From(TrialResult result, string cellKey, string worker)
    {
        var config = result.Config;
        return new ResultRow
        {
            TrialId = result.ConfigHash,
            Arm = TrialConfig.Format(config.Arm),
            Noise = config.Noise,
            NoiseModel = KebabCase(config.NoiseModel),
            NoiseSeed = config.NoiseSeed,
            Seed = config.Seed,
            Dataset = result.Dataset,
            DatasetPath = config.Dataset.Path,
            TrainLimit = config.Dataset.TrainLimit,
            ValidationFraction = config.Dataset.ValidationFraction,
            ImageSize = config.Dataset.ImageSize,
            Channels = config.Dataset.Channels,
            GroupFile = config.Dataset.GroupFile,
            ModelConv1 = config.Model.Conv1,
            ModelConv2 = config.Model.Conv2,
            ModelDense = config.Model.Dense,
            ModelKernel = config.Model.Kernel,
            PretrainEpochs = config.PretrainEpochs,
            FinetuneEpochs = config.FinetuneEpochs,
            LearningRate = config.LearningRate,
            BatchSize = config.BatchSize,
            Head = KebabCase(config.Head),
            Optimizer = KebabCase(config.Optimizer),
            CellKey = cellKey,
            PreFinetuneTestAccuracy = result.PreFinetuneTestAccuracy,
            TestAccuracy = result.TestAccuracy,
            ImagesPerSecond = result.ImagesPerSecond,
            TotalSeconds = result.Timings.TotalSeconds,
            Status = result.Status,
            Worker = worker,
            StartedAt = result.StartedAt,
            FinishedAt = result.FinishedAt,
            ConfigJson = config.CanonicalJson(),
            ResultJson = JsonSerializer.Serialize(result, TrialJson.Compact),
            Epochs = result.Epochs,
        };
    }

    /// <summary>The full record back from <see cref="ResultJson"/>.</summary>
    public TrialResult ToTrialResult() =>
        JsonSerializer.Deserialize<TrialResult>(ResultJson, TrialJson.Options)
        ?? throw new InvalidDataException($"trial {TrialId}: result_json is null");

    /// <summary>The same spelling as <see cref="TrialJson"/>'s enum converter, so columns match the JSON.</summary>
    static string KebabCase<T>(T value) where T : struct, Enum => JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());

    /// <summary>Every value of <typeparamref name="T"/> as its column holds it.</summary>
    internal static IReadOnlyList<string> Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(KebabCase).ToList();
}

/// <summary>Which sweep contains which trial; one trial can belong to several sweeps.</summary>
public readonly record struct SweepMembership(string SweepId, string TrialId);

/// <summary>A sweep as submitted: its spec as written, and what its reports take from it.</summary>
/// <param name="EquivalenceMargin">The spec's <c>equivalence_margin</c>, the default of <c>sweep report --margin</c>.</param>
public sealed record SweepRow(string SweepId, string Name, DateTimeOffset SubmittedAt, double? EquivalenceMargin, string SpecYaml);

/// <summary>
/// Filters for <see cref="ResultsStore.QueryAsync"/>; a null filter matches everything.
/// <see cref="Noise"/> matches exactly, as noise levels are the configured values, not computed ones.
/// </summary>
public sealed record ResultQuery
{
    public string? SweepId { get; init; }
    public Arm? Arm { get; init; }
    public double? Noise { get; init; }
    public string? Status { get; init; }
}
