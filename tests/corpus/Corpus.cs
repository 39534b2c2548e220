using SweepCluster.Training.Trials;

namespace SweepCluster.Corpus;

/// <summary>A bad spec of the corpus and the error it must get.</summary>
/// <param name="Where">"field at line N", as the error names it.</param>
public sealed record SpecCase(string File, string Where, string Phrase)
{
    public override string ToString() => System.IO.Path.GetFileName(File);
}

/// <summary>A bad dataset folder of the corpus, the file its error must name and a phrase of the error.</summary>
public sealed record DataCase(string Folder, string ExpectedPath, string Phrase)
{
    /// <summary>How a spec names this dataset: an MNIST-style idx folder or an image folder of 28x28 grey images.</summary>
    public DatasetConfig Config => System.IO.Path.GetFileName(Folder).StartsWith("idx-", StringComparison.Ordinal)
        ? new DatasetConfig { Name = DatasetConfig.Idx, Path = Folder }
        : new DatasetConfig { Name = DatasetConfig.ImageFolder, Path = Folder, ImageSize = 28, Channels = 1 };

    public override string ToString() => System.IO.Path.GetFileName(Folder);
}

/// <summary>
/// The committed bad-input corpus under tests/corpus: specs listed in specs/expected.tsv, dataset
/// folders in data/ each with a .expect file (made by generate.py). Shared by the parser, loader
/// and node tests, so every layer is held to the same expected errors.
/// </summary>
public static class BadInputCorpus
{
    public static string Root { get; } = FindRoot();
    public static string SpecFolder => Path.Combine(Root, "specs");
    public static string DataFolder => Path.Combine(Root, "data");

    public static IReadOnlyList<SpecCase> Specs() =>
        File.ReadAllLines(Path.Combine(SpecFolder, "expected.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Skip(1) // the header
            .Select(line => line.Split('\t'))
            .Select(f => new SpecCase(Path.Combine(SpecFolder, f[0]), f[1], f[2]))
            .ToList();

    public static IReadOnlyList<DataCase> Data() =>
        Directory.EnumerateDirectories(DataFolder).Order(StringComparer.Ordinal).Select(folder =>
        {
            var expect = File.ReadAllLines(Path.Combine(folder, ".expect"));
            return new DataCase(folder, Path.Combine(folder, expect[0]), expect[1]);
        }).ToList();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return Path.Combine(dir.FullName, "tests", "corpus");
        throw new InvalidOperationException("SweepCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
