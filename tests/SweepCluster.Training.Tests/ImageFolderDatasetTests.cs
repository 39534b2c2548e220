using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests;

/// <summary>
/// Image folders written here from real Fashion-MNIST images (the bundled subset), as PNG and
/// JPEG, grey and RGB, so the loader is tested on real encoder output, not on hand-made bytes.
/// </summary>
public sealed class ImageFolderDatasetTests : IDisposable
{
    const int Side = 28;
    const int PerClass = 8;
    // Written in this order; the loader must sort them ordinally.
    static readonly string[] Classes = ["trouser", "pullover", "tshirt"];
    static readonly string[] SortedClasses = ["pullover", "trouser", "tshirt"];
    // Fashion-MNIST labels of the classes above.
    static readonly int[] FashionLabels = [1, 2, 0];
    static readonly Lazy<byte[][][]> SourceImages = new(ReadSourceImages);

    readonly string _temp = Path.Combine(Path.GetTempPath(), $"image-folder-tests-{Guid.NewGuid():N}");
    readonly string _cache;

    public ImageFolderDatasetTests()
    {
        _cache = Path.Combine(_temp, "cache");
        Directory.CreateDirectory(_temp);
    }

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Grey_png_folder_loads_with_sorted_classes_exact_pixels_and_a_carved_test_split()
    {
        var root = WriteFolder("png", (c, i) => $"{c}/{i:D2}.png", SavePng);

        var load = ImageFolderDataset.Load(Options(root));
        var data = load.Data;

        Assert.False(load.FromCache);
        Assert.Equal(Classes.Length * PerClass, load.DecodedImages);
        Assert.Equal($"image-folder:{root}", data.Name);
        Assert.Equal(SortedClasses, data.ClassNames);
        Assert.Equal(24 - 5, data.Train.Count); // round(0.2 * 24) = 5 held out
        Assert.Equal(5, data.Test.Count);
        Assert.All(new[] { data.Train, data.Test }, set =>
        {
            Assert.Equal((1, Side, Side), (set.Channels, set.Height, set.Width));
            Assert.Null(set.Groups);
        });
        // PNG is lossless: every loaded image is exactly one source image, under its class's label.
        Assert.Equal(SourceLabelledImages().Order(), LabelledImages(data).Order());
    }

    [Fact]
    public void Train_and_test_folders_are_used_as_the_split_and_rgb_planes_come_out_in_nchw_order()
    {
        // Each RGB image carries three different source images in its R, G and B channels.
        var root = Path.Combine(_temp, "presplit");
        for (var c = 0; c < Classes.Length; c++)
        for (var i = 0; i < PerClass; i++)
        {
            var side = i < 6 ? "train" : "test";
            SaveRgbPng(Path.Combine(root, side, Classes[c], $"{i:D2}.png"), Planes(c, i));
        }

        var data = ImageFolderDataset.Load(Options(root, channels: 3)).Data;

        Assert.Equal(SortedClasses, data.ClassNames);
        Assert.Equal((18, 6), (data.Train.Count, data.Test.Count));
        Assert.Equal((3, Side, Side), (data.Test.Channels, data.Test.Height, data.Test.Width));
        // Within a side, images are in ordinal path order: class folder, then file name.
        var expectedTrain = SortedClasses.SelectMany(name => Enumerable.Range(0, 6).Select(i => (Array.IndexOf(Classes, name), i)));
        var position = 0;
        foreach (var (c, i) in expectedTrain)
        {
            Assert.Equal(Array.IndexOf(SortedClasses, Classes[c]), data.Train.Labels[position]);
            Assert.Equal(Planes(c, i).SelectMany(p => p), data.Train.Pixels.Skip(position * 3 * Side * Side).Take(3 * Side * Side));
            position++;
        }
    }

    [Fact]
    public void Rgb_jpeg_resized_to_16_has_shape_3x16x16_and_resembles_the_source()
    {
        // Mixed extensions and case, as real folders have them.
        string[] extensions = [".jpg", ".jpeg", ".JPG"];
        var root = Path.Combine(_temp, "jpeg");
        for (var c = 0; c < Classes.Length; c++)
        for (var i = 0; i < PerClass; i++)
        {
            var side = i < 6 ? "train" : "test";
            using var grey = Image.LoadPixelData<L8>(Source(c, i), Side, Side);
            using var rgb = grey.CloneAs<Rgb24>();
            var path = Path.Combine(root, side, Classes[c], $"{i:D2}{extensions[i % 3]}");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var encoded = new MemoryStream();
            rgb.SaveAsJpeg(encoded, new JpegEncoder { Quality = 95 });
            // Some cameras pad after the end-of-image marker; such a file is whole.
            File.WriteAllBytes(path, i == 0 ? [.. encoded.ToArray(), .. new byte[16]] : encoded.ToArray());
        }

        var data = ImageFolderDataset.Load(Options(root, size: 16, channels: 3)).Data;

        Assert.Equal((18, 6), (data.Train.Count, data.Test.Count));
        Assert.Equal((3, 16, 16), (data.Train.Channels, data.Train.Height, data.Train.Width));
        Assert.Equal(3 * 16 * 16 * 18, data.Train.Pixels.Length);
        var position = 0;
        foreach (var name in SortedClasses)
        for (var i = 0; i < 6; i++)
        {
            var c = Array.IndexOf(Classes, name);
            using var expected = Image.LoadPixelData<L8>(Source(c, i), Side, Side);
            expected.Mutate(x => x.Resize(16, 16));
            var reference = new byte[16 * 16];
            expected.CopyPixelDataTo(reference);
            var loaded = data.Train.Pixels.AsSpan(position * 3 * 256, 3 * 256).ToArray();
            // A grey source stays grey through JPEG: every plane is close to the resized source.
            for (var plane = 0; plane < 3; plane++)
            {
                var error = reference.Select((v, k) => Math.Abs(v - loaded[plane * 256 + k])).Average();
                Assert.True(error < 6, $"{name}/{i}: plane {plane} differs from the source by {error:F1} levels on average");
            }
            position++;
        }
    }

    [Fact]
    public void Second_load_comes_from_the_cache_and_changed_bytes_change_the_key()
    {
        var root = WriteFolder("cached", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var first = ImageFolderDataset.Load(Options(root));

        var second = ImageFolderDataset.Load(Options(root));

        Assert.True(second.FromCache);
        Assert.Equal(0, second.DecodedImages);
        Assert.Equal(first.CacheFile, second.CacheFile);
        Assert.True(File.Exists(second.CacheFile));
        Assert.Equal(first.Data.Name, second.Data.Name);
        Assert.Equal(first.Data.ClassNames, second.Data.ClassNames);
        Assert.Equal(first.Data.Train.Pixels, second.Data.Train.Pixels);
        Assert.Equal(first.Data.Train.Labels, second.Data.Train.Labels);
        Assert.Equal(first.Data.Test.Pixels, second.Data.Test.Pixels);
        Assert.Equal(first.Data.Test.Labels, second.Data.Test.Labels);

        // The held-out images depend on the file list alone: a fresh cache carves the same split.
        var elsewhere = ImageFolderDataset.Load(Options(root) with { CacheDirectory = Path.Combine(_temp, "other-cache") });
        Assert.False(elsewhere.FromCache);
        Assert.Equal(first.Data.Test.Pixels, elsewhere.Data.Test.Pixels);

        // Same name, new content: another image of the same class.
        SavePng(Path.Combine(root, Classes[0], "03.png"), Source(0, PerClass));
        var changed = ImageFolderDataset.Load(Options(root));

        Assert.False(changed.FromCache);
        Assert.Equal(24, changed.DecodedImages);
        Assert.NotEqual(first.CacheFile, changed.CacheFile);
        Assert.Contains(Convert.ToHexString(Source(0, PerClass)), LabelledImages(changed.Data).Select(s => s[2..]));
        Assert.Equal(first.Data.Test.Labels, changed.Data.Test.Labels);
    }

    [Fact]
    public void A_damaged_cache_file_is_deleted_and_rebuilt()
    {
        var root = WriteFolder("damaged", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var first = ImageFolderDataset.Load(Options(root));
        var cacheBytes = File.ReadAllBytes(first.CacheFile);

        foreach (var damage in new Func<byte[], byte[]>[]
                 {
                     bytes => bytes[..(bytes.Length / 2)],
                     bytes => { var copy = bytes.ToArray(); copy[bytes.Length / 2] ^= 0x55; return copy; },
                     bytes => { var copy = bytes.ToArray(); copy[0] = (byte)'X'; return copy; },
                     _ => [],
                 })
        {
            File.WriteAllBytes(first.CacheFile, damage(cacheBytes));

            var rebuilt = ImageFolderDataset.Load(Options(root));

            Assert.False(rebuilt.FromCache);
            Assert.Equal(24, rebuilt.DecodedImages);
            Assert.Equal(first.Data.Train.Pixels, rebuilt.Data.Train.Pixels);
            Assert.Equal(cacheBytes, File.ReadAllBytes(first.CacheFile));
            Assert.True(ImageFolderDataset.Load(Options(root)).FromCache);
        }
        Assert.Single(Directory.GetFiles(_cache));
    }

    [Fact]
    public void A_group_file_gives_group_ids_and_keeps_each_group_on_one_side_of_the_split()
    {
        var root = WriteFolder("groups", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var groupFile = WriteGroupFile("groups.csv", skip: null);

        var data = ImageFolderDataset.Load(Options(root, groupFile: groupFile)).Data;

        var expected = SourceGroups();
        foreach (var set in new[] { data.Train, data.Test })
        {
            Assert.NotNull(set.Groups);
            for (var n = 0; n < set.Count; n++)
                Assert.Equal(expected[Convert.ToHexString(set.Pixels, n * Side * Side, Side * Side)], set.Groups![n]);
        }
        var testGroups = data.Test.Groups!.ToHashSet();
        Assert.NotEmpty(testGroups);
        Assert.Empty(testGroups.Intersect(data.Train.Groups!));
        Assert.Equal(Enumerable.Range(0, 6), data.Train.Groups!.Concat(data.Test.Groups!).Distinct().Order());
    }

    [Fact]
    public void A_group_file_without_a_line_for_an_image_is_refused_naming_both()
    {
        var root = WriteFolder("missing-group", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var groupFile = WriteGroupFile("groups.csv", skip: $"{Classes[1]}/05.png");

        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root, groupFile: groupFile)));

        Assert.Equal(groupFile, error.Path);
        Assert.Contains($"{Classes[1]}/05.png", error.Message);
    }

    [Fact]
    public void A_malformed_group_file_line_is_refused_with_its_line_number()
    {
        var root = WriteFolder("bad-group", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var groupFile = Path.Combine(_temp, "groups.csv");
        File.WriteAllText(groupFile, $"subject,classname,img\np001,{Classes[0]},00.png\np001,{Classes[0]}\n");

        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root, groupFile: groupFile)));

        Assert.Equal(groupFile, error.Path);
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Zero_byte_truncated_and_non_image_files_are_refused_naming_the_file()
    {
        var png = EncodePng(Source(0, 0));
        var jpeg = EncodeJpeg(Source(0, 0));
        var random = new byte[2000];
        new Random(7).NextBytes(random);
        random[0] = 0x42;
        var cases = new (string Name, byte[] Bytes, string Problem)[]
        {
            ("empty.png", [], "is empty"),
            ("truncated.png", png[..(png.Length / 2)], "truncated PNG"),
            ("truncated-header.jpg", jpeg[..(jpeg.Length / 2)], "cannot be decoded"),
            // Cut inside the compressed data, which ImageSharp itself would decode and fill grey.
            ("truncated-scan.jpg", jpeg[..^10], "truncated JPEG"),
            ("random.jpg", random, "not a PNG or JPEG"),
        };

        foreach (var (name, bytes, problem) in cases)
        {
            var root = WriteFolder($"bad-{name}", (c, i) => $"{c}/{i:D2}.png", SavePng);
            var bad = Path.Combine(root, Classes[2], name);
            File.WriteAllBytes(bad, bytes);

            var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));

            Assert.Equal(bad, error.Path);
            Assert.Contains(problem, error.Problem);
        }
    }

    [Fact]
    public void A_png_declaring_huge_dimensions_is_refused_before_decoding()
    {
        var root = WriteFolder("huge", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var huge = Path.Combine(root, Classes[1], "huge.png");
        File.WriteAllBytes(huge, WithDeclaredSize(EncodePng(Source(1, 0)), 50000, 50000));

        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));

        Assert.Equal(huge, error.Path);
        Assert.Equal("declares 50000x50000 = 2500000000 pixels, above the limit of 1000000", error.Problem);
    }

    [Fact]
    public void An_image_within_the_pixel_limit_that_needs_more_memory_than_the_allocator_allows_is_refused_naming_it()
    {
        // With the pixel limit raised above what this PNG declares (400 million grey pixels, a
        // 400 MB buffer), only ImageSharp's allocation limit stands between it and the decoder.
        var root = WriteFolder("allocation", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var large = Path.Combine(root, Classes[1], "large.png");
        File.WriteAllBytes(large, WithDeclaredSize(EncodePng(Source(1, 0)), 20000, 20000));
        var options = Options(root) with { MaxPixels = 1_000_000_000, AllocationLimitMegabytes = 64 };

        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(options));

        Assert.Equal(large, error.Path);
        Assert.StartsWith("cannot be decoded within the memory limit", error.Problem);
        Assert.Contains("exceeded the limit 67108864", error.Problem); // 64 MB: the allocator's refusal, not the pixel check's
        Assert.False(Directory.Exists(_cache) && Directory.EnumerateFiles(_cache, "*", SearchOption.AllDirectories).Any(), "a cache entry was written");
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_refused_naming_it_and_dotfiles_are_skipped()
    {
        var root = WriteFolder("txt", (c, i) => $"{c}/{i:D2}.png", SavePng);
        File.WriteAllText(Path.Combine(root, Classes[0], ".DS_Store"), "finder junk");
        Assert.Equal(24, ImageFolderDataset.Load(Options(root)).DecodedImages);
        var notes = Path.Combine(root, Classes[0], "notes.txt");
        File.WriteAllText(notes, "not an image");

        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));

        Assert.Equal(notes, error.Path);
        Assert.Contains(".png", error.Problem);
    }

    [Fact]
    public void Empty_class_folders_roots_without_classes_and_linked_folders_are_refused_naming_them()
    {
        var root = WriteFolder("folders", (c, i) => $"{c}/{i:D2}.png", SavePng);
        var empty = Directory.CreateDirectory(Path.Combine(root, "sandal")).FullName;
        var error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));
        Assert.Equal(empty, error.Path);
        Assert.Contains("empty class folder", error.Problem);
        Directory.Delete(empty);

        var link = Path.Combine(root, "zlinked");
        Directory.CreateSymbolicLink(link, Path.Combine(root, Classes[0]));
        error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));
        Assert.Equal(link, error.Path);
        Assert.Contains("symbolic link", error.Problem);

        Directory.Delete(link);

        // A linked image could lead anywhere, and a link to itself loops: both are refused by name.
        var loop = Path.Combine(root, Classes[1], "loop.png");
        File.CreateSymbolicLink(loop, loop);
        error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(root)));
        Assert.Equal(loop, error.Path);
        Assert.Contains("symbolic link", error.Problem);

        var bare = Directory.CreateDirectory(Path.Combine(_temp, "bare")).FullName;
        File.WriteAllText(Path.Combine(bare, "readme.md"), "no classes here");
        error = Assert.Throws<DataFormatException>(() => ImageFolderDataset.Load(Options(bare)));
        Assert.Equal(bare, error.Path);
        Assert.Contains("no class folders", error.Problem);
    }

    ImageFolderOptions Options(string root, int size = Side, int channels = 1, string? groupFile = null) =>
        new(root, size, channels, groupFile, MaxPixels: 1_000_000, CacheDirectory: _cache);

    /// <summary>Writes <see cref="PerClass"/> source images of each class under a new root.</summary>
    string WriteFolder(string name, Func<string, int, string> relativePath, Action<string, byte[]> save)
    {
        var root = Path.Combine(_temp, name);
        for (var c = 0; c < Classes.Length; c++)
        for (var i = 0; i < PerClass; i++)
        {
            var path = Path.Combine(root, relativePath(Classes[c], i));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            save(path, Source(c, i));
        }
        return root;
    }

    /// <summary>Six subjects, each with images of every class, lines in no particular order.</summary>
    string WriteGroupFile(string name, string? skip)
    {
        var lines = new List<string>();
        for (var c = 0; c < Classes.Length; c++)
        for (var i = 0; i < PerClass; i++)
        {
            if ($"{Classes[c]}/{i:D2}.png" != skip)
                lines.Add($"p{SubjectOf(c, i) + 1:D3},{Classes[c]},{i:D2}.png");
        }
        lines.Reverse();
        var path = Path.Combine(_temp, name);
        File.WriteAllLines(path, ["subject,classname,img", .. lines]);
        return path;
    }

    static int SubjectOf(int c, int i) => (c * PerClass + i) % 6;

    static Dictionary<string, int> SourceGroups() =>
        Enumerable.Range(0, Classes.Length).SelectMany(c => Enumerable.Range(0, PerClass).Select(i => (c, i)))
            .ToDictionary(p => Convert.ToHexString(Source(p.c, p.i)), p => SubjectOf(p.c, p.i));

    /// <summary>"label:hex pixels" for every source image written by <see cref="WriteFolder"/>.</summary>
    static IEnumerable<string> SourceLabelledImages() =>
        Enumerable.Range(0, Classes.Length).SelectMany(c => Enumerable.Range(0, PerClass)
            .Select(i => $"{Array.IndexOf(SortedClasses, Classes[c])}:{Convert.ToHexString(Source(c, i))}"));

    static IEnumerable<string> LabelledImages(LabelledData data) =>
        new[] { data.Train, data.Test }.SelectMany(set => Enumerable.Range(0, set.Count)
            .Select(n => $"{set.Labels[n]}:{Convert.ToHexString(set.Pixels, n * set.ImageBytes, set.ImageBytes)}"));

    /// <summary>Source image <paramref name="index"/> of class <paramref name="c"/>: 28x28 grey bytes.</summary>
    static byte[] Source(int c, int index) => SourceImages.Value[c][index];

    /// <summary>Three distinct source images of class <paramref name="c"/>, used as R, G and B.</summary>
    static byte[][] Planes(int c, int i) => [Source(c, i), Source(c, i + PerClass), Source(c, i + 2 * PerClass)];

    static byte[][][] ReadSourceImages()
    {
        var directory = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(directory, "SweepCluster.sln")))
            directory = Path.GetDirectoryName(directory) ?? throw new InvalidOperationException("SweepCluster.sln not found above the test binaries");
        var data = Path.Combine(directory, "data", "fashion-mnist-subset");
        var (pixels, count, rows, columns) = IdxFile.ReadImages(Path.Combine(data, "train-images-idx3-ubyte.gz"));
        var labels = IdxFile.ReadLabels(Path.Combine(data, "train-labels-idx1-ubyte.gz"));
        Assert.Equal((Side, Side), (rows, columns));
        return FashionLabels.Select(label => Enumerable.Range(0, count).Where(n => labels[n] == label).Take(3 * PerClass)
            .Select(n => pixels.AsSpan(n * Side * Side, Side * Side).ToArray()).ToArray()).ToArray();
    }

    static void SavePng(string path, byte[] grey) => File.WriteAllBytes(path, EncodePng(grey));

    static byte[] EncodePng(byte[] grey)
    {
        using var image = Image.LoadPixelData<L8>(grey, Side, Side);
        using var buffer = new MemoryStream();
        image.SaveAsPng(buffer);
        return buffer.ToArray();
    }

    static byte[] EncodeJpeg(byte[] grey)
    {
        using var image = Image.LoadPixelData<L8>(grey, Side, Side);
        using var buffer = new MemoryStream();
        image.SaveAsJpeg(buffer);
        return buffer.ToArray();
    }

    static void SaveRgbPng(string path, byte[][] planes)
    {
        var interleaved = new byte[3 * Side * Side];
        for (var k = 0; k < Side * Side; k++)
        for (var p = 0; p < 3; p++)
            interleaved[3 * k + p] = planes[p][k];
        using var image = Image.LoadPixelData<Rgb24>(interleaved, Side, Side);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        image.SaveAsPng(path);
    }

    /// <summary>
    /// A copy of a PNG whose IHDR declares another size, with the chunk's CRC fixed so the header
    /// is valid and only its claim is false. IHDR is the first chunk: 8-byte signature, 4-byte
    /// length, "IHDR", then width and height (big-endian), then 5 more bytes and the CRC over type and data.
    /// </summary>
    static byte[] WithDeclaredSize(byte[] png, int width, int height)
    {
        var patched = png.ToArray();
        Assert.Equal("IHDR"u8.ToArray(), patched[12..16]);
        BinaryPrimitives.WriteInt32BigEndian(patched.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(patched.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(patched.AsSpan(29), Crc32(patched.AsSpan(12, 17)));
        return patched;
    }

    /// <summary>The CRC-32 PNG chunks carry (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
