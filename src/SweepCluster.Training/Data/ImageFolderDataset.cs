using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace SweepCluster.Training.Data;

/// <summary>How to read an image folder.</summary>
/// <param name="Root">
/// A folder of class folders, <c>Root/&lt;class&gt;/*.jpg|*.jpeg|*.png</c>, or of <c>train/</c> and
/// <c>test/</c> folders that each hold class folders.
/// </param>
/// <param name="ImageSize">Every image is stretched (not cropped) to ImageSize x ImageSize.</param>
/// <param name="Channels">1 for grey (luminance), 3 for RGB.</param>
/// <param name="GroupFile">Optional CSV <c>subject,classname,img</c> giving each image's group (State Farm's driver).</param>
/// <param name="MaxPixels">Largest width x height an image may declare; larger files are refused before decoding.</param>
/// <param name="CacheDirectory">Where decoded folders are cached.</param>
/// <param name="TestFraction">Share of the images held out for testing when the folder has no train/test split of its own.</param>
/// <param name="AllocationLimitMegabytes">
/// Largest buffer ImageSharp may allocate while decoding one image, the backstop behind
/// <paramref name="MaxPixels"/>; null (the default) derives it from the pixel limit, so it never
/// refuses an image the pixel limit lets through. Set apart only to test that backstop.
/// </param>
public sealed record ImageFolderOptions(
    string Root,
    int ImageSize,
    int Channels,
    string? GroupFile,
    long MaxPixels,
    string CacheDirectory,
    double TestFraction = 0.2,
    int? AllocationLimitMegabytes = null);

/// <summary>The result of <see cref="ImageFolderDataset.Load"/>.</summary>
/// <param name="FromCache">True when the data came from the decoded-image cache.</param>
/// <param name="DecodedImages">How many image files this load decoded: 0 from the cache, all of them otherwise.</param>
/// <param name="CacheFile">The cache entry that was read or written.</param>
/// <param name="Stages">Where the load's time went (<c>sweep bench data</c> reports it).</param>
public sealed record ImageFolderLoad(LabelledData Data, bool FromCache, int DecodedImages, string CacheFile, ImageFolderStages Stages);

/// <summary>Wall time of each stage of <see cref="ImageFolderDataset.Load"/>.</summary>
/// <param name="Scanning">Listing the folders and hashing every file for the content key.</param>
/// <param name="Decoding">Decoding and resizing every image (zero on a cache hit).</param>
/// <param name="Cache">Reading the cache entry, or looking for it and then writing it.</param>
public sealed record ImageFolderStages(TimeSpan Scanning, TimeSpan Decoding, TimeSpan Cache);

/// <summary>
/// A labelled dataset read from a folder of PNG and JPEG images, one subfolder per class (State
/// Farm's <c>train/c0..c9</c>). Classes are the subfolder names in ordinal order, label = index.
/// Decoding is the slow part, so a folder is decoded once and kept in a <see cref="DecodedImageCache"/>
/// keyed by its content.
/// </summary>
public static class ImageFolderDataset
{
    const string TrainFolder = "train";
    const string TestFolder = "test";
    const int MaxImageSize = 4096;
    static readonly HashSet<string> ImageExtensions = new([".jpg", ".jpeg", ".png"], StringComparer.OrdinalIgnoreCase);

    /// <summary>One image file and where it goes.</summary>
    sealed record ImageFile(string FullPath, string RelativePath, string ClassFolder, string FileName, int Label, bool InTestFolder);

    /// <summary>The classes and images under a root; <c>PreSplit</c> when it has its own train/ and test/ folders.</summary>
    sealed record FolderLayout(IReadOnlyList<string> ClassNames, IReadOnlyList<ImageFile> Files, bool PreSplit);

    /// <summary>Reads the folder, from the cache when its content has been decoded before.</summary>
    /// <exception cref="DataFormatException">A file or folder cannot be used; the message names it and says why.</exception>
    public static ImageFolderLoad Load(ImageFolderOptions options)
    {
        Validate(options);
        var clock = Stopwatch.StartNew();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Root));
        var name = $"image-folder:{root}";
        var layout = DiscoverLayout(root);
        var files = layout.Files;

        var groupPath = options.GroupFile is null ? null : Path.GetFullPath(options.GroupFile);
        var groupBytes = groupPath is null ? null : ReadBytes(groupPath);
        var digests = new byte[files.Count][];
        ForEachFile(files.Count, i => digests[i] = DigestOf(files[i].FullPath));
        var key = DecodedImageCache.Key(files.Select(f => f.RelativePath).ToArray(), digests, groupBytes,
            options.ImageSize, options.Channels, options.TestFraction);
        var scanning = clock.Elapsed;

        var cache = new DecodedImageCache(Path.GetFullPath(options.CacheDirectory));
        var cached = cache.TryRead(key, name, options.Channels, options.ImageSize);
        var lookup = clock.Elapsed - scanning;
        if (cached is not null)
            return new ImageFolderLoad(cached, FromCache: true, DecodedImages: 0, cache.PathFor(key),
                new ImageFolderStages(scanning, TimeSpan.Zero, lookup));

        var groupFile = groupBytes is null ? null : ImageGroupFile.Parse(groupPath!, groupBytes);
        var groups = groupFile is null ? null : files.Select(f => groupFile.GroupOf(f.ClassFolder, f.FileName, f.RelativePath)).ToArray();
        var inTest = layout.PreSplit
            ? files.Select(f => f.InTestFolder).ToArray()
            : CarveTestSplit(root, groupPath, files, groups, groupFile?.Subjects, options.TestFraction);
        var decodeStart = clock.Elapsed;
        var data = Decode(name, root, layout.ClassNames, files, digests, groups, inTest, options);
        var decoding = clock.Elapsed - decodeStart;
        var cacheFile = cache.Write(key, data);
        return new ImageFolderLoad(data, FromCache: false, DecodedImages: files.Count, cacheFile,
            new ImageFolderStages(scanning, decoding, lookup + clock.Elapsed - decodeStart - decoding));
    }

    static void Validate(ImageFolderOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Root))
            throw new ArgumentException("the image folder root is empty", nameof(options));
        // A training input, not a photo: the bound keeps one image's bytes far inside an int.
        if (options.ImageSize is <= 0 or > MaxImageSize)
            throw new ArgumentException($"image size {options.ImageSize} must lie in 1..{MaxImageSize}", nameof(options));
        if (options.Channels is not (1 or 3))
            throw new ArgumentException($"channels {options.Channels} must be 1 (grey) or 3 (RGB)", nameof(options));
        if (options.MaxPixels <= 0)
            throw new ArgumentException($"pixel limit {options.MaxPixels} must be positive", nameof(options));
        if (options.AllocationLimitMegabytes <= 0)
            throw new ArgumentException($"allocation limit {options.AllocationLimitMegabytes} MB must be positive", nameof(options));
        if (string.IsNullOrWhiteSpace(options.CacheDirectory))
            throw new ArgumentException("the cache directory is empty", nameof(options));
        if (!(options.TestFraction > 0 && options.TestFraction < 1))
            throw new ArgumentException($"test fraction {options.TestFraction} must lie strictly between 0 and 1", nameof(options));
    }

    static FolderLayout DiscoverLayout(string root)
    {
        if (!Directory.Exists(root))
            throw new DataFormatException(root, File.Exists(root) ? "is a file; expected a folder of class folders" : "does not exist");
        var top = Subfolders(root);
        var train = top.FirstOrDefault(f => f.Name == TrainFolder);
        var test = top.FirstOrDefault(f => f.Name == TestFolder);
        var (trainClasses, testClasses) = train is null || test is null ? ([], []) : (Subfolders(train.FullName), Subfolders(test.FullName));
        if (trainClasses.Count > 0 && testClasses.Count > 0)
        {
            var classNames = trainClasses.Select(f => f.Name).ToArray();
            foreach (var folder in testClasses.Where(f => !classNames.Contains(f.Name, StringComparer.Ordinal)))
                throw new DataFormatException(folder.FullName,
                    $"has no matching class folder in {train!.FullName}; every test class must also be a training class");
            var files = trainClasses.SelectMany((f, label) => ImagesIn(root, f, label, inTest: false))
                .Concat(testClasses.SelectMany(f => ImagesIn(root, f, Array.IndexOf(classNames, f.Name), inTest: true)));
            return new FolderLayout(classNames, Sorted(files), PreSplit: true);
        }
        if (top.Count == 0)
            throw new DataFormatException(root,
                "holds no class folders; expected root/<class>/*.jpg|*.jpeg|*.png or root/train/<class>/ and root/test/<class>/");
        return new FolderLayout(top.Select(f => f.Name).ToArray(),
            Sorted(top.SelectMany((f, label) => ImagesIn(root, f, label, inTest: false))), PreSplit: false);
    }

    static ImageFile[] Sorted(IEnumerable<ImageFile> files) =>
        files.OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToArray();

    /// <summary>The visible subfolders of a folder in ordinal order; files are left alone, symbolic links refused.</summary>
    static List<DirectoryInfo> Subfolders(string path)
    {
        var folders = new List<DirectoryInfo>();
        try
        {
            foreach (var entry in new DirectoryInfo(path).EnumerateFileSystemInfos())
            {
                if (IsHidden(entry)) continue;
                // Any link, even a broken or looping one that is no folder at all, is refused by name.
                if (entry.LinkTarget is not null)
                    throw new DataFormatException(entry.FullName,
                        $"is a symbolic link to {entry.LinkTarget}; linked folders are not followed, so a dataset is exactly what lies under its root (copy or bind-mount the folder instead)");
                if (entry is DirectoryInfo folder) folders.Add(folder);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be listed: {e.Message}", e);
        }
        folders.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return folders;
    }

    /// <summary>The images of one class folder. Anything else in it is refused rather than skipped, so a stray file is noticed, not silently lost.</summary>
    static List<ImageFile> ImagesIn(string root, DirectoryInfo classFolder, int label, bool inTest)
    {
        var images = new List<ImageFile>();
        try
        {
            foreach (var entry in classFolder.EnumerateFileSystemInfos())
            {
                if (IsHidden(entry)) continue;
                // Like linked folders: a link could lead outside the data roots, or loop.
                if (entry.LinkTarget is not null)
                    throw new DataFormatException(entry.FullName,
                        $"is a symbolic link to {entry.LinkTarget}; linked files are not followed, so a dataset is exactly what lies under its root");
                if (entry is DirectoryInfo)
                    throw new DataFormatException(entry.FullName,
                        $"is a folder inside the class folder {classFolder.FullName}; images must sit directly in root/<class>/ (or root/train/<class>/ and root/test/<class>/)");
                if (!ImageExtensions.Contains(Path.GetExtension(entry.Name)))
                    throw new DataFormatException(entry.FullName, "is not a .jpg, .jpeg or .png file; a class folder may hold only images");
                var relative = Path.GetRelativePath(root, entry.FullName).Replace(Path.DirectorySeparatorChar, '/');
                images.Add(new ImageFile(entry.FullName, relative, classFolder.Name, entry.Name, label, inTest));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(classFolder.FullName, $"cannot be listed: {e.Message}", e);
        }
        if (images.Count == 0)
            throw new DataFormatException(classFolder.FullName, "is an empty class folder: it holds no .jpg, .jpeg or .png image");
        return images;
    }

    // .DS_Store, .git and the like are the file system's business, not the dataset's.
    static bool IsHidden(FileSystemInfo entry) => entry.Name.StartsWith('.');

    /// <summary>
    /// Which images are held out for testing. The order is seeded by the file list alone, so every
    /// trial, whatever its own seed, tests on the same images, and re-encoding an image does not
    /// move it. With groups, whole groups are held out, so no group straddles the split.
    /// </summary>
    static bool[] CarveTestSplit(string root, string? groupPath, IReadOnlyList<ImageFile> files, int[]? groups,
        IReadOnlyList<string>? subjects, double fraction)
    {
        var listDigest = FileListDigest(files);
        ulong Rank(string item) =>
            BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData([.. listDigest, .. Encoding.UTF8.GetBytes(item)]));

        var inTest = new bool[files.Count];
        var target = fraction * files.Count;
        if (groups is null)
        {
            var testCount = (int)Math.Round(target, MidpointRounding.AwayFromZero);
            if (testCount < 1 || testCount > files.Count - 1)
                throw new DataFormatException(root,
                    $"{files.Count} images are too few to hold out a test fraction of {fraction} and keep both sides non-empty");
            foreach (var i in Enumerable.Range(0, files.Count).OrderBy(i => Rank(files[i].RelativePath)).Take(testCount))
                inTest[i] = true;
            return inTest;
        }

        var sizes = groups.CountBy(g => g).OrderBy(p => Rank(subjects![p.Key])).ToArray();
        if (sizes.Length < 2)
            throw new DataFormatException(groupPath!,
                $"puts all {files.Count} images of {root} in one group; holding out whole groups needs at least two");
        // Greedy in rank order: take a group when it brings the held-out count closer to the
        // target, never all of them. If every group alone overshoots by more than the target,
        // the smallest is the closest choice.
        var testGroups = new HashSet<int>();
        var taken = 0;
        foreach (var (group, size) in sizes)
        {
            if (Math.Abs(taken + size - target) < Math.Abs(taken - target) && taken + size < files.Count)
            {
                testGroups.Add(group);
                taken += size;
            }
        }
        if (testGroups.Count == 0) testGroups.Add(sizes.MinBy(p => p.Value).Key);
        for (var i = 0; i < files.Count; i++) inTest[i] = testGroups.Contains(groups[i]);
        return inTest;
    }

    static byte[] FileListDigest(IReadOnlyList<ImageFile> files)
    {
        using var list = new MemoryStream();
        using var writer = new BinaryWriter(list, Encoding.UTF8);
        foreach (var file in files) writer.Write(file.RelativePath);
        writer.Flush();
        return SHA256.HashData(list.ToArray());
    }

    static LabelledData Decode(string name, string root, IReadOnlyList<string> classNames, IReadOnlyList<ImageFile> files,
        byte[][] digests, int[]? groups, bool[] inTest, ImageFolderOptions options)
    {
        var size = options.ImageSize;
        var imageBytes = options.Channels * size * size;
        var trainCount = inTest.Count(t => !t);
        var testCount = files.Count - trainCount;
        foreach (var count in new[] { trainCount, testCount })
        {
            if ((long)count * imageBytes > Array.MaxLength)
                throw new DataFormatException(root,
                    $"{count} images of {options.Channels}x{size}x{size} need {(long)count * imageBytes} bytes, more than one array holds; choose a smaller image size");
        }

        var pixels = new[] { new byte[trainCount * imageBytes], new byte[testCount * imageBytes] };
        var labels = new[] { new int[trainCount], new int[testCount] };
        var groupIds = groups is null ? null : new[] { new int[trainCount], new int[testCount] };
        // Each file's side (0 train, 1 test) and position there, in file order on both sides.
        var slots = new (int Side, int Index)[files.Count];
        var next = new int[2];
        for (var i = 0; i < files.Count; i++)
        {
            var side = inTest[i] ? 1 : 0;
            slots[i] = (side, next[side]++);
            labels[side][slots[i].Index] = files[i].Label;
            if (groupIds is not null) groupIds[side][slots[i].Index] = groups![i];
        }

        var configuration = DecoderConfiguration(options.AllocationLimitMegabytes ?? AllocationLimitFor(options.MaxPixels));
        try
        {
            ForEachFile(files.Count, i =>
            {
                var (side, index) = slots[i];
                DecodeInto(files[i].FullPath, digests[i], configuration, options, pixels[side], index * imageBytes);
            });
        }
        finally
        {
            configuration.MemoryAllocator.ReleaseRetainedResources();
        }

        ImageSet Set(int side) => new(pixels[side], labels[side], options.Channels, size, size, groupIds?[side]);
        return new LabelledData(name, Set(0), Set(1), classNames);
    }

    /// <summary>
    /// The allocation limit that backs up the declared-size check: no buffer ImageSharp needs for
    /// an image within the pixel limit is wider than a Vector4 (16 bytes) per pixel.
    /// </summary>
    static int AllocationLimitFor(long maxPixels) => (int)Math.Clamp(maxPixels / ((1 << 20) / 16) + 1, 64, int.MaxValue);

    /// <summary>Only PNG and JPEG decoders, so a file named .png cannot reach a decoder nobody asked for.</summary>
    static Configuration DecoderConfiguration(int allocationLimitMegabytes) =>
        new(new PngConfigurationModule(), new JpegConfigurationModule())
        {
            // Files are decoded in parallel already; ImageSharp's own threads would only oversubscribe the cores.
            MaxDegreeOfParallelism = 1,
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions { AllocationLimitMegabytes = allocationLimitMegabytes }),
        };

    static void DecodeInto(string path, byte[] digest, Configuration configuration, ImageFolderOptions options,
        byte[] destination, int offset)
    {
        var bytes = ReadBytes(path);
        // The cache key was computed from the digest; decoding other bytes would cache them under the wrong key.
        if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(digest))
            throw new DataFormatException(path, "changed while the folder was being read; load it again");
        if (bytes.Length == 0)
            throw new DataFormatException(path, "is empty (0 bytes)");
        using var stream = new MemoryStream(bytes, writable: false);
        try
        {
            var info = Image.Identify(configuration, stream, out var format)
                ?? throw new DataFormatException(path, "is not a PNG or JPEG image: its first bytes match neither format");
            var declared = (long)info.Width * info.Height;
            if (info.Width <= 0 || info.Height <= 0)
                throw new DataFormatException(path, $"declares a size of {info.Width}x{info.Height}");
            if (declared > options.MaxPixels)
                throw new DataFormatException(path,
                    $"declares {info.Width}x{info.Height} = {declared} pixels, above the limit of {options.MaxPixels}");
            if (format is JpegFormat && !ReachesEndOfImage(bytes))
                throw new DataFormatException(path, "is a truncated JPEG: its data ends before the end-of-image marker");
            if (format is PngFormat && !ReachesEndChunk(bytes))
                throw new DataFormatException(path, "is a truncated PNG: its data ends before the IEND chunk");
            stream.Position = 0;
            if (options.Channels == 1)
            {
                using var image = Image.Load<L8>(configuration, stream);
                Resize(image, options.ImageSize);
                image.CopyPixelDataTo(destination.AsSpan(offset, options.ImageSize * options.ImageSize));
            }
            else
            {
                using var image = Image.Load<Rgb24>(configuration, stream);
                Resize(image, options.ImageSize);
                CopyPlanes(image, destination, offset);
            }
        }
        // The allocator's limit, the backstop of the pixel limit; ImageSharp wraps its refusal.
        catch (Exception e) when ((e as InvalidMemoryOperationException ?? e.InnerException as InvalidMemoryOperationException) is { } refused)
        {
            throw new DataFormatException(path, $"cannot be decoded within the memory limit: {refused.Message}", e);
        }
        // Whatever a decoder throws on a malformed file means the file cannot be used: ImageSharp 2.1
        // throws NullReferenceException from JPEG Identify on some damaged headers (found by the
        // mutation tests), and a worker must name the file, not crash or retry it as a transient fault.
        catch (Exception e) when (e is not (DataFormatException or OutOfMemoryException or OperationCanceledException))
        {
            throw new DataFormatException(path, $"cannot be decoded ({e.GetType().Name}): {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether a JPEG runs to its end-of-image marker. ImageSharp, like libjpeg, decodes a JPEG cut
    /// off inside its compressed data without complaint and fills the rest grey, and a truncated
    /// download must not become a training image. Segments are skipped by their declared lengths,
    /// so bytes inside an EXIF thumbnail or ICC profile are never taken for markers; inside
    /// compressed data a 0xFF byte is always followed by 0x00 (stuffing) or a restart marker, so
    /// anything else there is the next marker. Bytes after the marker (camera padding) are allowed.
    /// </summary>
    static bool ReachesEndOfImage(ReadOnlySpan<byte> jpeg)
    {
        const byte EndOfImage = 0xD9, StartOfScan = 0xDA;
        static bool IsRestart(byte marker) => marker is >= 0xD0 and <= 0xD7;

        var at = 2; // past the start-of-image marker
        while (at + 1 < jpeg.Length)
        {
            var marker = jpeg[at + 1];
            // Stray bytes before a marker and 0xFF fill bytes are tolerated, as decoders do.
            if (jpeg[at] != 0xFF || marker == 0xFF)
            {
                at++;
                continue;
            }
            if (marker == EndOfImage) return true;
            if (IsRestart(marker))
            {
                at += 2;
                continue;
            }
            if (at + 3 >= jpeg.Length) return false;
            at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
            if (marker != StartOfScan) continue;
            while (at + 1 < jpeg.Length && !(jpeg[at] == 0xFF && jpeg[at + 1] != 0x00 && !IsRestart(jpeg[at + 1])))
                at++;
        }
        return false;
    }

    /// <summary>
    /// Whether a PNG runs to its IEND chunk. ImageSharp refuses a PNG cut off inside a chunk, but
    /// decodes one cut off between two IDAT chunks (where a truncated download of a large PNG
    /// usually ends) without complaint, missing rows and all. Chunks are skipped by their
    /// declared lengths, so pixel bytes are never taken for a chunk type; bytes after IEND are allowed.
    /// </summary>
    static bool ReachesEndChunk(ReadOnlySpan<byte> png)
    {
        const int Signature = 8, LengthAndType = 8, Crc = 4;
        long at = Signature;
        while (at + LengthAndType <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png[(int)at..]);
            if (png.Slice((int)at + 4, 4).SequenceEqual("IEND"u8)) return at + LengthAndType + length + Crc <= png.Length;
            at += LengthAndType + length + Crc;
        }
        return false;
    }

    static void Resize<TPixel>(Image<TPixel> image, int size) where TPixel : unmanaged, IPixel<TPixel>
    {
        if (image.Width != size || image.Height != size)
            image.Mutate(x => x.Resize(size, size));
    }

    /// <summary>Interleaved RGB rows to the channel planes of NCHW.</summary>
    static void CopyPlanes(Image<Rgb24> image, byte[] destination, int offset)
    {
        var plane = image.Width * image.Height;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                var start = offset + y * rows.Width;
                for (var x = 0; x < row.Length; x++)
                {
                    destination[start + x] = row[x].R;
                    destination[start + plane + x] = row[x].G;
                    destination[start + 2 * plane + x] = row[x].B;
                }
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> for every file in parallel and rethrows the failure of the
    /// lowest-numbered file: Break lets every lower-numbered file finish, so the error a user sees
    /// does not depend on thread timing.
    /// </summary>
    static void ForEachFile(int count, Action<int> work)
    {
        var failures = new DataFormatException?[count];
        Parallel.For(0, count, (i, loop) =>
        {
            try
            {
                work(i);
            }
            catch (DataFormatException e)
            {
                failures[i] = e;
                loop.Break();
            }
        });
        var first = failures.FirstOrDefault(f => f is not null);
        if (first is not null) ExceptionDispatchInfo.Throw(first);
    }

    static byte[] DigestOf(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return SHA256.HashData(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }

    static byte[] ReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {e.Message}", e);
        }
    }
}
