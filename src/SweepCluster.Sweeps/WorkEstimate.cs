using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>
/// Rough cost of one trial: training images processed (every epoch of both phases) and
/// floating-point operations. Null where the dataset's size is unknown (a folder without
/// <c>train_limit</c>).
/// </summary>
public sealed record TrialWork(double? TrainingImages, double? Flops);

/// <summary>
/// Estimates the work of a trial from its configuration alone, without touching the data.
/// Counts only the training steps: 6 FLOPs per multiply-add of a layer that is trained (2 forward,
/// 4 backward), 2 per multiply-add of a frozen layer that is only run forward. BatchNorm,
/// activations, the optimiser, validation and test passes are left out. It is an estimate.
/// </summary>
public static class WorkEstimator
{
    /// <summary>Output classes assumed for every dataset: Fashion-MNIST's, and State Farm's c0..c9.</summary>
    public const int AssumedClasses = 10;

    static readonly Dictionary<string, int> KnownTrainingSizes = new()
    {
        [DatasetConfig.BundledSubset] = 10_000,
        [DatasetConfig.FashionMnist] = 60_000,
    };

    public static TrialWork Estimate(TrialConfig config)
    {
        if (TrainingImagesPerEpoch(config.Dataset) is not { } perEpoch) return new TrialWork(null, null);
        var (channels, height, width) = InputShape(config.Dataset);
        var model = config.Model;
        var k = model.Kernel;
        var h1 = height - k + 1;
        var w1 = width - k + 1;
        var h2 = Math.Max(0, h1 - k + 1);
        var w2 = Math.Max(0, w1 - k + 1);
        var classifier = (double)model.Dense * AssumedClasses;

        double flopsPerImagePretrain = 0, flopsPerImageFinetune;
        if (config.HasFeatures)
        {
            var convolutions = (double)h1 * w1 * model.Conv1 * channels * k * k + (double)h2 * w2 * model.Conv2 * model.Conv1 * k * k;
            var head = (double)h2 * w2 * model.Conv2 * model.Dense + classifier;
            flopsPerImagePretrain = 6 * (convolutions + head);
            // Fine-tuning runs the frozen convolutions forward only and trains the head.
            flopsPerImageFinetune = 2 * convolutions + 6 * head;
        }
        else
        {
            flopsPerImageFinetune = 6 * ((double)channels * height * width * model.Dense + classifier);
        }

        var pretrainImages = (double)config.PretrainEpochs * perEpoch;
        var finetuneImages = (double)config.FinetuneEpochs * perEpoch;
        return new TrialWork(
            pretrainImages + finetuneImages,
            pretrainImages * flopsPerImagePretrain + finetuneImages * flopsPerImageFinetune);
    }

    /// <summary>
    /// Training images per epoch: the dataset's training set (or <c>train_limit</c> of it) less
    /// the validation fraction. Null for folders without <c>train_limit</c>, whose size is only
    /// known once they are read.
    /// </summary>
    public static double? TrainingImagesPerEpoch(DatasetConfig dataset)
    {
        int? available = KnownTrainingSizes.TryGetValue(dataset.Name, out var size)
            ? Math.Min(size, dataset.TrainLimit ?? size)
            : dataset.TrainLimit;
        return available * (1 - dataset.ValidationFraction);
    }

    /// <summary>Channels, height and width of an input image: 28x28 grey for IDX data (MNIST-style), as configured for image folders.</summary>
    public static (int Channels, int Height, int Width) InputShape(DatasetConfig dataset) =>
        dataset.Name == DatasetConfig.ImageFolder
            ? (dataset.Channels ?? 3, dataset.ImageSize ?? 64, dataset.ImageSize ?? 64)
            : (1, 28, 28);
}
