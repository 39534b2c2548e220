using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Sweeps;

/// <summary>What the reader of a spec allows: the limits of the node or command that reads it.</summary>
public sealed record SpecOptions
{
    /// <summary>The most trials a spec may expand to; its own <c>max_trials</c> may lower this, never raise it.</summary>
    public long MaxTrials { get; init; } = SweepSpec.DefaultMaxTrials;

    /// <summary>The longest spec text read, in UTF-8 bytes: a spec is a page of YAML, not a data file.</summary>
    public int MaxBytes { get; init; } = 256 * 1024;

    /// <summary>Folders dataset paths must lie under; null leaves them unchecked (re-reading a sweep already accepted).</summary>
    public DataRoots? DataRoots { get; init; }

    /// <summary>What relative dataset paths are taken against; null keeps them as written.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>
    /// The dataset <c>dataset.name: auto</c> stands for: the reading node's answer to "is the full
    /// Fashion-MNIST installed?" (<see cref="DatasetCatalog.AutoDataset"/>). A coordinator records
    /// it with the sweep, so recovery expands the same trials wherever it runs.
    /// </summary>
    public string AutoDataset { get; init; } = DatasetConfig.BundledSubset;

    /// <summary>A spec read for a new submission on a node with these roots: relative paths mean the first root.</summary>
    public static SpecOptions Confined(DataRoots roots, long maxTrials = SweepSpec.DefaultMaxTrials, string autoDataset = DatasetConfig.BundledSubset) =>
        new() { DataRoots = roots, BaseDirectory = roots.Folders[0], MaxTrials = maxTrials, AutoDataset = autoDataset };

    /// <summary>
    /// A spec accepted before, read again (recovery, projection): no limit is applied a second
    /// time, so a node whose limits were since lowered still recovers the sweeps it accepted, and
    /// <c>auto</c> means what it meant then.
    /// </summary>
    public static SpecOptions Accepted(string? baseDirectory, string? autoDataset) =>
        new() { MaxTrials = long.MaxValue, MaxBytes = int.MaxValue, BaseDirectory = baseDirectory, AutoDataset = autoDataset ?? DatasetConfig.BundledSubset };
}
