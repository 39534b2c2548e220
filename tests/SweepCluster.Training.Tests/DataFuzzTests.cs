using System.IO.Compression;
using System.Text;
using SixLabors.ImageSharp;
using SweepCluster.Corpus;
using SweepCluster.Training.Data;
using Xunit.Abstractions;

namespace SweepCluster.Training.Tests;

/// <summary>Mutants of valid IDX files, group files and images: each is read, or refused with a <see cref="DataFormatException"/>.</summary>
public sealed class DataFuzzTests(ITestOutputHelper output) : IDisposable
{
    readonly string _temp = Directory.CreateTempSubdirectory("data-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Damaged_idx_files_raw_and_gzip_are_refused_with_data_errors_and_nothing_else()
    {
        var folder = Path.Combine(BadInputCorpus.DataFolder, "idx-label-count");
        var images = File.ReadAllBytes(Path.Combine(folder, "train-images-idx3-ubyte"));
        var labels = File.ReadAllBytes(Path.Combine(folder, "t10k-labels-idx1-ubyte"));
        var goodLabels = IdxFile.Read(new MemoryStream(labels), "labels");
        var count = Mutations.Run<DataFormatException>([images, labels, Gzip(images), Gzip(labels)], bytes =>
        {
            var parsed = IdxFile.Read(new MemoryStream(bytes), "mutant");
            IdxFile.ReadImageSet(parsed, "mutant", goodLabels, "labels", 10);
        });
        output.WriteLine(Mutations.Describe(count));
        Assert.True(count >= 100);
    }

    [Fact]
    public void Damaged_group_files_are_refused_with_data_errors_and_nothing_else()
    {
        var root = WriteImageFolder();
        var rows = new[] { "a", "b" }.SelectMany(cls => Enumerable.Range(0, 4).Select(i => $"p{i % 2},{cls},{i}.{(cls == "a" ? "png" : "jpg")}"));
        var csv = Encoding.UTF8.GetBytes("subject,classname,img\n" + string.Join("\n", rows) + "\n");
        var groups = Path.Combine(_temp, "groups.csv");
        var options = new ImageFolderOptions(root, 16, 1, groups, MaxPixels: 1_000_000, CacheDirectory: Path.Combine(_temp, "cache"));
        var count = Mutations.Run<DataFormatException>([csv], bytes =>
        {
            File.WriteAllBytes(groups, bytes);
            ImageFolderDataset.Load(options);
        });
        output.WriteLine(Mutations.Describe(count));
        Assert.True(count >= 100);
    }

    [Fact]
    public void Damaged_png_and_jpeg_images_in_a_folder_are_refused_with_data_errors_and_nothing_else()
    {
        var root = WriteImageFolder();
        var png = File.ReadAllBytes(Path.Combine(root, "a", "0.png"));
        var jpeg = File.ReadAllBytes(Path.Combine(root, "b", "0.jpg"));
        var options = new ImageFolderOptions(root, 16, 1, null, MaxPixels: 1_000_000, CacheDirectory: Path.Combine(_temp, "cache"));
        // One slot of class a takes each mutant in turn, named as the format it started from.
        var count = Mutations.Run<DataFormatException>([png, jpeg], bytes =>
        {
            foreach (var old in Directory.EnumerateFiles(Path.Combine(root, "a"), "mutant.*")) File.Delete(old);
            File.WriteAllBytes(Path.Combine(root, "a", bytes.Length > 1 && bytes[1] == (byte)'P' ? "mutant.png" : "mutant.jpg"), bytes);
            ImageFolderDataset.Load(options);
        });
        output.WriteLine(Mutations.Describe(count));
        Assert.True(count >= 100);
    }

    /// <summary>Two classes of four good images: PNGs from the corpus in a, the same as JPEGs in b.</summary>
    string WriteImageFolder()
    {
        var png = File.ReadAllBytes(Path.Combine(BadInputCorpus.DataFolder, "image-zero-byte-png", "ok", "00.png"));
        using var jpeg = new MemoryStream();
        using (var image = Image.Load(png)) image.SaveAsJpeg(jpeg);
        var root = Path.Combine(_temp, "images");
        Directory.CreateDirectory(Path.Combine(root, "a"));
        Directory.CreateDirectory(Path.Combine(root, "b"));
        for (var i = 0; i < 4; i++)
        {
            File.WriteAllBytes(Path.Combine(root, "a", $"{i}.png"), png);
            File.WriteAllBytes(Path.Combine(root, "b", $"{i}.jpg"), jpeg.ToArray());
        }
        return root;
    }

    static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(bytes);
        return output.ToArray();
    }
}
