using System.Buffers.Binary;
using System.IO.Compression;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Training.Tests;

public class IdxFileTests
{
    [Fact]
    public void Reads_the_bundled_gzip_subset()
    {
        var (pixels, count, rows, columns) = IdxFile.ReadImages(Path.Combine(TestData.BundledFolder, "train-images-idx3-ubyte.gz"));
        var labels = IdxFile.ReadLabels(Path.Combine(TestData.BundledFolder, "train-labels-idx1-ubyte.gz"));
        Assert.Equal((10_000, 28, 28), (count, rows, columns));
        Assert.Equal(10_000 * 784, pixels.Length);
        Assert.Equal(new[] { 9, 0, 0, 3 }, labels.Take(4));
        Assert.Equal(942, labels.Count(l => l == 0));
    }

    [Fact]
    public void Reads_the_full_fashion_mnist_installed_by_debian()
    {
        Assert.True(Directory.Exists(TestData.DebianFashionMnist), "apt-get install dataset-fashion-mnist (.ci/run does)");
        var data = TestData.Catalog.Load(new DatasetConfig { Name = DatasetConfig.FashionMnist });
        Assert.Equal(60_000, data.Train.Count);
        Assert.Equal(10_000, data.Test.Count);
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6_000, data.Train.Labels.Count(l => l == c)));
        // The bundled subset is the head of the official files, byte for byte.
        var bundled = TestData.Catalog.Load(new DatasetConfig());
        Assert.Equal(bundled.Train.Pixels, data.Train.Pixels.AsSpan(0, bundled.Train.Pixels.Length).ToArray());
    }

    [Fact]
    public void Reads_raw_and_gzip_files_alike()
    {
        using var temp = new TestData.TempFolder();
        var raw = Idx(3, [2, 2, 3], Enumerable.Range(0, 12).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(temp.File("raw"), raw);
        File.WriteAllBytes(temp.File("packed.gz"), Gzip(raw));
        var fromRaw = IdxFile.ReadImages(temp.File("raw"));
        var fromGzip = IdxFile.ReadImages(temp.File("packed.gz"));
        Assert.Equal((2, 2, 3), (fromRaw.Count, fromRaw.Rows, fromRaw.Columns));
        Assert.Equal(fromRaw.Pixels, fromGzip.Pixels);
    }

    public static TheoryData<string, byte[], string> BadFiles => new()
    {
        { "empty", [], "too short for an IDX header" },
        { "wrong magic", [0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7], "bad magic number" },
        { "float data", [0, 0, 0x0d, 0x01, 0, 0, 0, 1, 7, 7, 7, 7], "data type 0x0d is not supported" },
        { "truncated header", [0, 0, 0x08, 0x03, 0, 0, 0, 2], "header declares 3 dimensions" },
        { "truncated body", Idx(3, [2, 28, 28], new byte[784]), "need 1568 data bytes but the file has 784 (truncated)" },
        { "trailing bytes", Idx(1, [3], [1, 2, 3, 4]), "need 3 data bytes but the file has 4 (trailing bytes)" },
        { "zero dimension", Idx(3, [0, 28, 28], []), "dimension 0 has size 0" },
        { "corrupt gzip", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7], "corrupt gzip stream" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_file_gets_an_error_naming_the_file_and_the_problem(string name, byte[] bytes, string problem)
    {
        using var temp = new TestData.TempFolder();
        var path = temp.File(name.Replace(' ', '-'));
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<DataFormatException>(() => IdxFile.Read(path));
        Assert.Equal(path, error.Path);
        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Labels_and_images_that_disagree_are_refused_naming_the_label_file()
    {
        using var temp = new TestData.TempFolder();
        File.WriteAllBytes(temp.File("train-images-idx3-ubyte"), Idx(3, [2, 28, 28], new byte[2 * 784]));
        File.WriteAllBytes(temp.File("train-labels-idx1-ubyte"), Idx(1, [3], [1, 2, 3]));
        File.WriteAllBytes(temp.File("t10k-images-idx3-ubyte"), Idx(3, [1, 28, 28], new byte[784]));
        File.WriteAllBytes(temp.File("t10k-labels-idx1-ubyte"), Idx(1, [1], [1]));
        var catalog = new DatasetCatalog(new DataSettings { DataRoots = new DataRoots([temp.Path]) });
        var error = Assert.Throws<DataFormatException>(() => catalog.Load(new DatasetConfig { Name = DatasetConfig.Idx, Path = temp.Path }));
        Assert.Equal(temp.File("train-labels-idx1-ubyte"), error.Path);
        Assert.Contains("3 labels for 2 images", error.Message);
    }

    [Fact]
    public void A_folder_without_idx_files_names_what_is_missing()
    {
        using var temp = new TestData.TempFolder();
        var catalog = new DatasetCatalog(new DataSettings { DataRoots = new DataRoots([temp.Path]) });
        var error = Assert.Throws<DataFormatException>(() => catalog.Load(new DatasetConfig { Name = DatasetConfig.Idx, Path = temp.Path }));
        Assert.Contains("no train-images-idx3-ubyte or train-images-idx3-ubyte.gz", error.Message);
    }

    static byte[] Idx(int rank, int[] dims, byte[] body)
    {
        var bytes = new byte[4 + 4 * rank + body.Length];
        bytes[2] = 0x08;
        bytes[3] = (byte)rank;
        for (var d = 0; d < rank; d++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * d), (uint)dims[d]);
        body.CopyTo(bytes, 4 + 4 * rank);
        return bytes;
    }

    static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(bytes);
        return output.ToArray();
    }
}
