using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using SweepCluster.Training.Labels;

namespace SweepCluster.Training.Trials;

/// <summary>The protocols a trial can follow (see shared SCIENCE.md, "Arms").</summary>
public enum Arm
{
    /// <summary>Pre-train everything on true labels, freeze the features, fine-tune the head on true labels.</summary>
    True,
    /// <summary>As <see cref="True"/>, but pre-train on labels of which a fraction is corrupted (p = 1: arbitrary labels).</summary>
    Noisy,
    /// <summary>No pre-training: features frozen at their random initialisation, head trained on true labels. The key control.</summary>
    RandomFrozen,
    /// <summary>The dense layers alone on raw pixels, for as many epochs as the fine-tune phase.</summary>
    HeadOnly,
}

/// <summary>What a trial does.</summary>
public enum TrialKind
{
    /// <summary>The experiment: train and measure (the default).</summary>
    Train,
    /// <summary>
    /// Waits <see cref="TrialConfig.SleepMs"/> and returns a synthetic result derived from
    /// the configuration and seed. Built in for testing and benchmarking the scheduler, where
    /// training would only add noise and minutes.
    /// </summary>
    Sleep,
}

/// <summary>What happens to the dense head between pre-training and fine-tuning.</summary>
public enum HeadInit
{
    Continue,
    Reinit,
}

public enum OptimizerKind
{
    Adam,
    /// <summary>SGD with momentum 0.9.</summary>
    Sgd,
}

/// <summary>Which data a trial trains on. <see cref="Name"/> is one of <see cref="DatasetConfig.Names"/>.</summary>
public sealed record DatasetConfig
{
    public const string BundledSubset = "fashion-mnist-subset";
    public const string FashionMnist = "fashion-mnist";
    public const string Idx = "idx";
    public const string ImageFolder = "image-folder";
    public static readonly string[] Names = [BundledSubset, FashionMnist, Idx, ImageFolder];

    /// <summary>
    /// Not a dataset but a request, in specs and on <c>sweep trial --data</c>: the full
    /// Fashion-MNIST where installed, else the bundled subset (<see cref="Data.DatasetCatalog.AutoDataset"/>).
    /// It is resolved before a trial exists, so no trial's identity says "auto".
    /// </summary>
    public const string Auto = "auto";

    public string Name { get; init; } = BundledSubset;
    /// <summary>Folder of IDX files or of class folders; for fashion-mnist, optional (Debian's package folder is searched).</summary>
    public string? Path { get; init; }
    /// <summary>Use only the first N training images (before the validation split).</summary>
    public int? TrainLimit { get; init; }
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Image folders only: images are resized to ImageSize x ImageSize.</summary>
    public int? ImageSize { get; init; }
    /// <summary>Image folders only: 1 (grey) or 3 (RGB).</summary>
    public int? Channels { get; init; }
    /// <summary>Image folders only: CSV of subject,classname,img for group-aware splits.</summary>
    public string? GroupFile { get; init; }
}

/// <summary>Layer widths of the CNN: BatchNorm, Conv(conv1, kernel) relu, Conv(conv2, kernel) relu, Flatten, Dense(dense) relu, Dense(classes).</summary>
public sealed record ModelConfig
{
    public int Conv1 { get; init; } = 32;
    public int Conv2 { get; init; } = 64;
    public int Dense { get; init; } = 200;
    public int Kernel { get; init; } = 3;
}

/// <summary>
/// Everything that decides a trial's outcome, and nothing else (device and thread count are
/// execution settings, not configuration). Its identity is the SHA-256 of the canonical JSON of
/// the normalised configuration, so two requests for the same experiment get the same id.
/// </summary>
public sealed record TrialConfig
{
    /// <summary>Bumped whenever a change alters what a configuration means; part of the hash.</summary>
    public const int SchemaVersion = 1;

    public TrialKind Kind { get; init; } = TrialKind.Train;
    /// <summary>How long a <see cref="TrialKind.Sleep"/> trial waits; 0 for training trials.</summary>
    public int SleepMs { get; init; }
    public Arm Arm { get; init; } = Arm.True;
    public int Seed { get; init; }
    /// <summary>Fraction of pre-training labels corrupted; only the noisy arm has noise.</summary>
    public double Noise { get; init; }
    public NoiseModel NoiseModel { get; init; } = NoiseModel.Shuffle;
    /// <summary>Seed of the corruption; derived from <see cref="Seed"/> when not given.</summary>
    public ulong? NoiseSeed { get; init; }
    public DatasetConfig Dataset { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public int PretrainEpochs { get; init; } = 1;
    public int FinetuneEpochs { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-4;
    public int BatchSize { get; init; } = 64;
    public HeadInit Head { get; init; } = HeadInit.Continue;
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    [JsonIgnore] public bool HasPretraining => Arm is Arm.True or Arm.Noisy;
    [JsonIgnore] public bool HasFeatures => Arm is not Arm.HeadOnly;

    /// <summary>
    /// Fills every default and drops what an arm does not use (noise outside the noisy arm,
    /// pre-training epochs for arms that do not pre-train), so equivalent requests hash alike.
    /// Throws <see cref="ConfigException"/> listing every invalid field.
    /// </summary>
    public TrialConfig Normalise()
    {
        var errors = new List<string>();
        if (Arm != Arm.Noisy && Noise != 0)
            errors.Add($"noise: {Noise} given for arm {Format(Arm)}; only arm noisy has label noise (use noise 0 or arm noisy)");
        if (double.IsNaN(Noise) || Noise is < 0 or > 1)
            errors.Add($"noise: {Noise} is outside [0, 1]");
        if (PretrainEpochs < 0 || PretrainEpochs > 10_000)
            errors.Add($"pretrain_epochs: {PretrainEpochs} is outside 0..10000");
        if (HasPretraining && PretrainEpochs == 0)
            errors.Add($"pretrain_epochs: arm {Format(Arm)} pre-trains, so it needs at least 1 epoch");
        if (FinetuneEpochs is < 1 or > 10_000)
            errors.Add($"finetune_epochs: {FinetuneEpochs} is outside 1..10000");
        if (!(LearningRate > 0 && LearningRate <= 10))
            errors.Add($"learning_rate: {LearningRate} must be in (0, 10]");
        if (BatchSize is < 1 or > 65_536)
            errors.Add($"batch_size: {BatchSize} is outside 1..65536");
        if (Model.Conv1 < 1 || Model.Conv2 < 1 || Model.Dense < 1)
            errors.Add($"model: widths conv1={Model.Conv1}, conv2={Model.Conv2}, dense={Model.Dense} must all be at least 1");
        if (Model.Kernel is < 1 or > 15)
            errors.Add($"model.kernel: {Model.Kernel} is outside 1..15");
        if (!DatasetConfig.Names.Contains(Dataset.Name))
            errors.Add($"dataset.name: '{Dataset.Name}' is not one of {string.Join(", ", DatasetConfig.Names)}");
        if (Dataset.Name is DatasetConfig.Idx or DatasetConfig.ImageFolder && string.IsNullOrWhiteSpace(Dataset.Path))
            errors.Add($"dataset.path: dataset {Dataset.Name} needs a path");
        if (Dataset.TrainLimit is < 1)
            errors.Add($"dataset.train_limit: {Dataset.TrainLimit} must be at least 1");
        if (double.IsNaN(Dataset.ValidationFraction) || Dataset.ValidationFraction is < 0 or >= 0.9)
            errors.Add($"dataset.validation_fraction: {Dataset.ValidationFraction} is outside [0, 0.9)");
        if (Dataset.Name != DatasetConfig.ImageFolder && (Dataset.ImageSize ?? Dataset.Channels) is not null)
            errors.Add("dataset.image_size / dataset.channels: only image-folder datasets are resized");
        if (Dataset.Name != DatasetConfig.ImageFolder && Dataset.GroupFile is not null)
            errors.Add("dataset.group_file: only image-folder datasets have group files");
        if (Dataset.ImageSize is < 4 or > 1024)
            errors.Add($"dataset.image_size: {Dataset.ImageSize} is outside 4..1024");
        if (Dataset.Channels is not (null or 1 or 3))
            errors.Add($"dataset.channels: {Dataset.Channels} must be 1 (grey) or 3 (RGB)");
        if (Kind == TrialKind.Train && SleepMs != 0)
            errors.Add($"sleep_ms: {SleepMs} given for a training trial; only kind sleep sleeps");
        if (SleepMs is < 0 or > 3_600_000)
            errors.Add($"sleep_ms: {SleepMs} is outside 0..3600000");
        if (errors.Count > 0) throw new ConfigException(errors);

        var noisy = Arm == Arm.Noisy;
        return this with
        {
            Noise = noisy ? Noise : 0,
            NoiseModel = noisy ? NoiseModel : NoiseModel.Shuffle,
            NoiseSeed = noisy ? NoiseSeed ?? SeedStreams.Derive(Seed, "noise") : null,
            PretrainEpochs = HasPretraining ? PretrainEpochs : 0,
            Dataset = Dataset.Name == DatasetConfig.ImageFolder
                ? Dataset with { ImageSize = Dataset.ImageSize ?? 64, Channels = Dataset.Channels ?? 3 }
                : Dataset,
        };
    }

    [JsonIgnore] public SeedStreams Seeds => SeedStreams.From(Seed, NoiseSeed);

    /// <summary>The canonical JSON: keys sorted, no whitespace, invariant numbers, schema version included.</summary>
    public string CanonicalJson() => JsonSerializer.Serialize(this, TrialJson.Canonical);

    /// <summary>The canonical JSON without <c>seed</c> and <c>noise_seed</c>: what the trials of a cell share.</summary>
    public string CanonicalJsonWithoutSeeds() => JsonSerializer.Serialize(this, TrialJson.CanonicalWithoutSeeds);

    /// <summary>SHA-256 (hex) of <see cref="CanonicalJson"/> of the normalised configuration.</summary>
    public string Hash() => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Normalise().CanonicalJson())));

    public static string Format(Arm arm) => JsonNamingPolicy.KebabCaseLower.ConvertName(arm.ToString());
}

/// <summary>A configuration with one or more invalid fields; the message lists each.</summary>
public sealed class ConfigException(IReadOnlyList<string> errors)
    : Exception("invalid trial configuration:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>JSON conventions shared by configurations and results: snake_case fields, kebab-case enum values.</summary>
public static class TrialJson
{
    public static readonly JsonSerializerOptions Options = Create(indented: true);
    public static readonly JsonSerializerOptions Compact = Create(indented: false);

    /// <summary>
    /// Compact, with every object's keys in ordinal order and <c>schema_version</c> added to a
    /// configuration: the text a trial id hashes. The serializer writes it directly; building and
    /// sorting a JSON tree instead cost most of the time of expanding, and so of recovering, a
    /// sweep of 100,000 trials.
    /// </summary>
    public static readonly JsonSerializerOptions Canonical = CreateCanonical(withSeeds: true);

    /// <summary><see cref="Canonical"/> without a configuration's <c>seed</c> and <c>noise_seed</c>.</summary>
    public static readonly JsonSerializerOptions CanonicalWithoutSeeds = CreateCanonical(withSeeds: false);

    static JsonSerializerOptions CreateCanonical(bool withSeeds)
    {
        var options = new JsonSerializerOptions(Compact)
        {
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { info => Canonicalise(info, withSeeds) } },
        };
        options.MakeReadOnly();
        return options;
    }

    static void Canonicalise(JsonTypeInfo info, bool withSeeds)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        var properties = info.Properties.ToList();
        if (info.Type == typeof(TrialConfig))
        {
            var version = info.CreateJsonPropertyInfo(typeof(int), "schema_version");
            version.Get = _ => TrialConfig.SchemaVersion;
            properties.Add(version);
            if (!withSeeds) properties.RemoveAll(p => p.Name is "seed" or "noise_seed");
        }
        info.Properties.Clear();
        foreach (var property in properties.OrderBy(p => p.Name, StringComparer.Ordinal)) info.Properties.Add(property);
    }

    static JsonSerializerOptions Create(bool indented) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        WriteIndented = indented,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
