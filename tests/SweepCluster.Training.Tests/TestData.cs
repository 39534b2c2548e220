using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests;

/// <summary>Where the tests find real data: the repository's bundled subset and Debian's full Fashion-MNIST.</summary>
public static class TestData
{
    public static readonly string RepositoryRoot = FindRoot();
    public static readonly string BundledFolder = Path.Combine(RepositoryRoot, "data", "fashion-mnist-subset");
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>One catalog for the whole test run, so the bundled data is decompressed once.</summary>
    public static readonly DatasetCatalog Catalog = new(new DataSettings());

    /// <summary>A fresh folder under the temp directory, deleted when disposed.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("sweepcluster-test-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SweepCluster.sln"))) return dir.FullName;
        throw new InvalidOperationException("SweepCluster.sln not found above " + AppContext.BaseDirectory);
    }
}
