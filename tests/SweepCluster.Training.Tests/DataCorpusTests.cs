using SweepCluster.Corpus;
using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests;

/// <summary>Every bad dataset of the committed corpus (tests/corpus/data) is refused naming the file, and leaves nothing behind.</summary>
public sealed class DataCorpusTests : IDisposable
{
    readonly string _cache = Directory.CreateTempSubdirectory("corpus-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    public static TheoryData<DataCase> Cases() => new(BadInputCorpus.Data());

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_bad_dataset_gets_an_error_naming_the_file_and_writes_no_cache_entry(DataCase bad)
    {
        var catalog = new DatasetCatalog(new DataSettings
        {
            DataRoots = new DataRoots([BadInputCorpus.DataFolder]),
            CacheDirectory = _cache,
            MaxImagePixels = 10_000_000,
        });
        var error = Assert.Throws<DataFormatException>(() => catalog.Load(bad.Config));
        Assert.Equal(bad.ExpectedPath, error.Path);
        Assert.Contains(bad.Phrase, error.Problem);
        Assert.Empty(Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories));
    }
}
