namespace SweepCluster.Training.Trials;

/// <summary>Where in a trial the runner is; sent through the progress callback a few times a second.</summary>
public sealed record TrialProgress(string Phase, int Epoch, int Epochs, int Batch, int Batches, double ImagesPerSecond);

/// <summary>
/// One epoch of one phase. Accuracies on the training images are measured on the mini-batches as
/// they are trained (no extra pass): against the labels trained on, against the true labels, and
/// against the true labels separately for clean and corrupted examples. Validation is a pass in
/// evaluation mode after the epoch.
/// </summary>
public sealed record EpochMetrics(
    string Phase,
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double TrainTrueAccuracy,
    double? CleanTrueAccuracy,
    double? CorruptedTrueAccuracy,
    double? CorruptedMemorisedAccuracy,
    double? ValidationAccuracy,
    double? ValidationLoss,
    double Seconds,
    double ImagesPerSecond);

/// <summary>Norm of one parameter tensor and its distance from initialisation at the end of a phase.</summary>
public sealed record LayerStats(string Phase, string Name, double Norm, double DistanceFromInit);

public sealed record CorruptionRecord(int Selected, double RealisedFraction, string LabelsHash, string MaskHash);

public sealed record SplitRecord(int Train, int Validation, int Test, bool ByGroup, string Hash);

public sealed record Timings(double DataSeconds, double ComputeSeconds, double TotalSeconds);

/// <param name="FusedSlots">
/// How many trials trained together as one fused model, this one among them (1: alone). Fused
/// slots compute what the lone trial would up to the order of floating-point sums, so a result's
/// last digits can differ between the two; records from before fusion have none and read as 1.
/// </param>
public sealed record RunEnvironment(
    string Device, int Threads, string TorchsharpVersion, string LibtorchVersion, string Host, string CodeVersion, int FusedSlots = 1);

/// <summary>Everything one trial records (shared SCIENCE.md, "What one trial records").</summary>
public sealed record TrialResult(
    int SchemaVersion,
    string ConfigHash,
    TrialConfig Config,
    string Dataset,
    SeedStreams Seeds,
    CorruptionRecord? Corruption,
    SplitRecord Split,
    double[] Normalisation,
    IReadOnlyList<EpochMetrics> Epochs,
    double? PreFinetuneTestAccuracy,
    double TestAccuracy,
    double[] TestPerClassAccuracy,
    string TestPredictions,
    IReadOnlyList<LayerStats> Layers,
    IReadOnlyList<Checkpoint> Checkpoints,
    Timings Timings,
    double ImagesPerSecond,
    RunEnvironment Environment,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Status);
