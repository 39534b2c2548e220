using System.Collections.Concurrent;
using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Data;

/// <summary>Where datasets are found and cached; typed settings, defaults fit a single machine.</summary>
public sealed record DataSettings
{
    /// <summary>Folders searched for the full Fashion-MNIST when a config names no path (Debian's dataset-fashion-mnist first).</summary>
    public IReadOnlyList<string> FashionMnistSearchPath { get; init; } = [System.IO.Path.Combine(DataRoots.DebianDatasets, "fashion-mnist")];
    /// <summary>The only folders a dataset path or group file given in a config may lead to.</summary>
    public DataRoots DataRoots { get; init; } = DataRoots.Default();
    /// <summary>Where decoded image folders are cached.</summary>
    public string CacheDirectory { get; init; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sweepcluster-cache");
    /// <summary>Images declaring more pixels than this are refused before they are decoded.</summary>
    public long MaxImagePixels { get; init; } = 40_000_000;
}

/// <summary>
/// Turns a <see cref="DatasetConfig"/> into images in memory. Loaded datasets are kept for the
/// life of the catalog, so the trials of a sweep that share data read it once per process.
/// </summary>
public sealed class DatasetCatalog(DataSettings settings)
{
    static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    readonly ConcurrentDictionary<DatasetConfig, Lazy<LabelledData>> _loaded = new();

    public DataSettings Settings => settings;

    /// <summary>Loads (or returns the already loaded) dataset; the training images are cut to the train limit.</summary>
    public LabelledData Load(DatasetConfig config)
    {
        var key = config with { TrainLimit = null, ValidationFraction = 0 };
        var data = _loaded.GetOrAdd(key, k => new Lazy<LabelledData>(() => LoadUncached(k))).Value;
        return config.TrainLimit is { } limit ? data with { Train = data.Train.Take(limit) } : data;
    }

    /// <summary>Whether the full Fashion-MNIST is installed where <see cref="DataSettings.FashionMnistSearchPath"/> looks.</summary>
    public bool FullFashionMnistInstalled() => FindFashionMnist() is not null;

    /// <summary>What <see cref="DatasetConfig.Auto"/> means here: the full Fashion-MNIST where installed, else the bundled subset.</summary>
    public string AutoDataset() => FullFashionMnistInstalled() ? DatasetConfig.FashionMnist : DatasetConfig.BundledSubset;

    LabelledData LoadUncached(DatasetConfig config)
    {
        // Paths a config names are confined to the data roots; the search path is the node's own.
        var path = config.Path is null ? null : settings.DataRoots.CheckReal(config.Path);
        var groupFile = config.GroupFile is null ? null : settings.DataRoots.CheckReal(config.GroupFile);
        return config.Name switch
        {
            DatasetConfig.BundledSubset => LoadBundled(),
            DatasetConfig.FashionMnist => LoadIdxFolder(path ?? FindFashionMnist()
                ?? throw new DataFormatException(string.Join(", ", settings.FashionMnistSearchPath),
                    "the full Fashion-MNIST is not installed there (apt-get install dataset-fashion-mnist, or give its folder as the dataset path)"),
                DatasetConfig.FashionMnist, FashionMnistClasses),
            DatasetConfig.Idx => LoadIdxFolder(path!, $"idx:{config.Path}", null),
            DatasetConfig.ImageFolder => ImageFolderDataset.Load(new ImageFolderOptions(
                path!, config.ImageSize!.Value, config.Channels!.Value, groupFile,
                settings.MaxImagePixels, settings.CacheDirectory)).Data,
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Name, "unknown dataset"),
        };
    }

    string? FindFashionMnist() =>
        settings.FashionMnistSearchPath.FirstOrDefault(dir => FindIdx(dir, "train-images-idx3-ubyte") is not null);

    static LabelledData LoadBundled()
    {
        var assembly = typeof(DatasetCatalog).Assembly;
        (int[], byte[]) Resource(string file)
        {
            var name = $"{DatasetConfig.BundledSubset}/{file}";
            using var stream = assembly.GetManifestResourceStream(name)
                ?? throw new DataFormatException(name, "embedded resource missing from SweepCluster.Training");
            return IdxFile.Read(stream, name);
        }
        var train = IdxFile.ReadImageSet(Resource("train-images-idx3-ubyte.gz"), "train-images-idx3-ubyte.gz",
            Resource("train-labels-idx1-ubyte.gz"), "train-labels-idx1-ubyte.gz", 10);
        var test = IdxFile.ReadImageSet(Resource("t10k-images-idx3-ubyte.gz"), "t10k-images-idx3-ubyte.gz",
            Resource("t10k-labels-idx1-ubyte.gz"), "t10k-labels-idx1-ubyte.gz", 10);
        return new LabelledData(DatasetConfig.BundledSubset, train, test, FashionMnistClasses);
    }

    /// <summary>A folder with the four MNIST-style files, each raw or .gz.</summary>
    static LabelledData LoadIdxFolder(string folder, string name, string[]? classNames)
    {
        if (!Directory.Exists(folder))
            throw new DataFormatException(folder, "dataset folder does not exist");
        string Need(string stem) => FindIdx(folder, stem)
            ?? throw new DataFormatException(folder, $"no {stem} or {stem}.gz in this folder (an IDX dataset needs train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)");
        var trainImages = Need("train-images-idx3-ubyte");
        var trainLabels = Need("train-labels-idx1-ubyte");
        var testImages = Need("t10k-images-idx3-ubyte");
        var testLabels = Need("t10k-labels-idx1-ubyte");
        const int maxClasses = 256;
        var train = IdxFile.ReadImageSet(IdxFile.Read(trainImages), trainImages, IdxFile.Read(trainLabels), trainLabels, maxClasses);
        var test = IdxFile.ReadImageSet(IdxFile.Read(testImages), testImages, IdxFile.Read(testLabels), testLabels, maxClasses);
        if (train.Height != test.Height || train.Width != test.Width)
            throw new DataFormatException(testImages, $"test images are {test.Height}x{test.Width} but training images are {train.Height}x{train.Width}");
        var classes = classNames ?? Enumerable.Range(0, Math.Max(train.Labels.Max(), test.Labels.Max()) + 1).Select(c => c.ToString()).ToArray();
        if (test.Labels.Max() >= classes.Length || train.Labels.Max() >= classes.Length)
            throw new DataFormatException(folder, $"labels exceed the {classes.Length} classes of {name}");
        return new LabelledData(name, train, test, classes);
    }

    static string? FindIdx(string folder, string stem) =>
        new[] { stem, stem + ".gz" }.Select(f => System.IO.Path.Combine(folder, f)).FirstOrDefault(File.Exists);
}
