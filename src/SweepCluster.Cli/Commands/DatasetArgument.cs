using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary>Reads a <c>--data</c> value: a dataset name, "auto", or a folder.</summary>
public static class DatasetArgument
{
    public static DatasetConfig Resolve(string value, DatasetCatalog catalog)
    {
        if (value == DatasetConfig.Auto)
            return new DatasetConfig { Name = catalog.AutoDataset() };
        if (value is DatasetConfig.BundledSubset or DatasetConfig.FashionMnist)
            return new DatasetConfig { Name = value };
        var folder = Path.GetFullPath(value);
        if (!Directory.Exists(folder))
            throw new ArgumentException($"--data {value}: not a dataset name (auto, {DatasetConfig.BundledSubset}, {DatasetConfig.FashionMnist}) nor an existing folder");
        var isIdx = Directory.EnumerateFiles(folder, "train-images-idx3-ubyte*").Any();
        return new DatasetConfig { Name = isIdx ? DatasetConfig.Idx : DatasetConfig.ImageFolder, Path = folder };
    }
}
