using System.CommandLine;
using System.Diagnostics;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>One image size and channel count, measured <c>repeats</c> times.</summary>
public sealed record DataFigures(
    int ImageSize,
    int Channels,
    double DecodeImagesPerSecond,
    double FirstLoadSeconds,
    double CoresBusy,
    double CacheMegabytes,
    double HitScanningSeconds,
    double HitCacheSeconds,
    double FirstStartSeconds,
    double SecondStartSeconds,
    double StartRatio);

/// <summary>
/// The data path of an image-folder trial. A folder of colour JPEGs like State Farm's photos is
/// written first (Fashion-MNIST images of the bundled subset, upscaled to 224x224, tinted, on a
/// coloured background with sensor-like noise, JPEG quality 90, class folders c0..c9). Then, for
/// each image size and channel count:
/// (a) <see cref="ImageFolderDataset.Load"/> into an empty cache: its decode-and-resize stage in
/// images/s, the whole first load, and how many cores were busy (CPU time over wall time); a
/// second load then shows where a cache hit's time goes;
/// (b) a trial's data start-up through <see cref="DatasetCatalog.Load"/>, as the trial runner calls
/// it: a first catalog on an empty cache directory (decodes, writes the cache) against a second,
/// new catalog on the same directory (a cache hit; a new catalog, so its in-memory copy of the
/// first cannot answer), back to back in each repeat.
/// </summary>
public static class DataBenchmark
{
    const int PhotoSide = 224;
    const int JpegQuality = 90;

    /// <summary><c>sweep bench data</c>.</summary>
    public static Command CreateCommand()
    {
        var images = new Option<int>("--images") { Description = "JPEGs to generate (10 class folders)", DefaultValueFactory = _ => 2000 };
        var sizes = new Option<int[]>("--sizes") { Description = "Resize targets (image_size)", DefaultValueFactory = _ => [64, 224], AllowMultipleArgumentsPerToken = true };
        var channels = new Option<int[]>("--channels") { Description = "3 (RGB) and/or 1 (grey)", DefaultValueFactory = _ => [3, 1], AllowMultipleArgumentsPerToken = true };
        var repeats = new Option<int>("--repeats") { Description = "Measurements of each size and channel count (medians are reported)", DefaultValueFactory = _ => 3 };
        var command = new Command("data", "ImageSharp decode and resize throughput of 224x224 JPEGs, and a trial's data start-up without and with the decoded-image cache")
        {
            images, sizes, channels, repeats,
        };
        command.SetAction(parse =>
        {
            var count = parse.GetValue(images);
            if (count < 20 || parse.GetValue(repeats) < 1)
            {
                Console.Error.WriteLine("error: --images must be at least 20 and --repeats at least 1");
                return 2;
            }
            var work = Path.Combine(Path.GetTempPath(), $"sweep-bench-data-{Guid.NewGuid():N}");
            try
            {
                var photos = Path.Combine(work, "photos");
                var clock = Stopwatch.StartNew();
                var bytes = WritePhotos(photos, count);
                Console.Error.WriteLine($"wrote {count} JPEGs of {PhotoSide}x{PhotoSide} (quality {JpegQuality}, mean {bytes / 1024.0 / count:F1} KiB) in {clock.Elapsed.TotalSeconds:F1} s under {photos}");
                var figures = new List<DataFigures>();
                foreach (var size in parse.GetValue(sizes)!)
                foreach (var c in parse.GetValue(channels)!)
                    figures.Add(Measure(work, photos, count, size, c, parse.GetValue(repeats), Console.Error.WriteLine));

                Console.WriteLine($"{count} JPEGs, {PhotoSide}x{PhotoSide}, quality {JpegQuality}, mean {bytes / 1024.0 / count:F1} KiB; " +
                                  $"files decoded by Parallel.For on the thread pool ({Environment.ProcessorCount} cores); medians of {parse.GetValue(repeats)}");
                Console.WriteLine();
                Console.WriteLine("| image size | channels | decode + resize | first load (decode, cache write) | cores busy | cache entry | cache hit: hashing files / reading entry | first trial's data start-up | second trial's | first / second |");
                Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
                foreach (var f in figures)
                    Console.WriteLine($"| {f.ImageSize} | {(f.Channels == 3 ? "RGB" : "grey")} | {f.DecodeImagesPerSecond:F0} images/s | {f.FirstLoadSeconds:F2} s ({count / f.FirstLoadSeconds:F0} images/s) | " +
                                      $"{f.CoresBusy:F2} | {f.CacheMegabytes:F0} MB | {f.HitScanningSeconds:F3} s / {f.HitCacheSeconds:F3} s | " +
                                      $"{f.FirstStartSeconds:F2} s | {f.SecondStartSeconds:F3} s | {f.StartRatio:F1} |");
                return 0;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }
        });
        return command;
    }

    static DataFigures Measure(string work, string photos, int count, int size, int channels, int repeats, Action<string> log)
    {
        var settings = new DataSettings { DataRoots = new DataRoots([work]) };
        // The dataset exactly as a trial's normalised configuration names it.
        var dataset = new TrialConfig
        {
            Arm = Arm.True,
            Dataset = new DatasetConfig { Name = DatasetConfig.ImageFolder, Path = photos, ImageSize = size, Channels = channels },
        }.Normalise().Dataset;
        var decodeRates = new List<double>();
        var firstLoads = new List<double>();
        var coresBusy = new List<double>();
        var hitScanning = new List<double>();
        var hitCache = new List<double>();
        var firstStarts = new List<double>();
        var secondStarts = new List<double>();
        var ratios = new List<double>();
        double cacheMegabytes = 0;
        for (var r = 0; r < repeats; r++)
        {
            // (a) the loader itself, on an empty cache, then again on the entry it wrote.
            var cache = FreshFolder(work, "cache");
            var options = new ImageFolderOptions(photos, size, channels, null, settings.MaxImagePixels, cache);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var first = ImageFolderDataset.Load(options);
            var wall = clock.Elapsed.TotalSeconds;
            coresBusy.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / wall);
            firstLoads.Add(wall);
            decodeRates.Add(first.DecodedImages / first.Stages.Decoding.TotalSeconds);
            cacheMegabytes = new FileInfo(first.CacheFile).Length / 1e6;
            var hit = ImageFolderDataset.Load(options);
            if (!hit.FromCache) throw new InvalidOperationException("the second load missed the cache it had just written");
            hitScanning.Add(hit.Stages.Scanning.TotalSeconds);
            hitCache.Add(hit.Stages.Cache.TotalSeconds);
            Directory.Delete(cache, recursive: true);

            // (b) two trials' start-up through the catalog: the first on an empty cache, the second
            // in a new catalog (as in a new worker process) on the entry the first wrote.
            var shared = settings with { CacheDirectory = FreshFolder(work, "catalog-cache") };
            var firstStart = Time(() => new DatasetCatalog(shared).Load(dataset));
            var secondStart = Time(() => new DatasetCatalog(shared).Load(dataset));
            Directory.Delete(shared.CacheDirectory, recursive: true);
            firstStarts.Add(firstStart);
            secondStarts.Add(secondStart);
            ratios.Add(firstStart / secondStart);
            log($"{size}x{size}x{channels} repeat {r + 1}: decode {decodeRates[^1]:F0} images/s, first load {wall:F2} s ({coresBusy[^1]:F2} cores; " +
                $"{first.Stages.Scanning.TotalSeconds:F3} s hashing, {first.Stages.Decoding.TotalSeconds:F3} s decoding, {first.Stages.Cache.TotalSeconds:F3} s writing), " +
                $"hit {hitScanning[^1]:F3} s hashing + {hitCache[^1]:F3} s reading; start-up {firstStart:F2} s then {secondStart:F3} s ({ratios[^1]:F1}x)");
        }
        return new DataFigures(size, channels, TrainingFigures.Median(decodeRates), TrainingFigures.Median(firstLoads), TrainingFigures.Median(coresBusy),
            cacheMegabytes, TrainingFigures.Median(hitScanning), TrainingFigures.Median(hitCache),
            TrainingFigures.Median(firstStarts), TrainingFigures.Median(secondStarts), TrainingFigures.Median(ratios));
    }

    static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    static string FreshFolder(string parent, string prefix)
    {
        var path = Path.Combine(parent, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// Writes <paramref name="count"/> colour photos into class folders c0..c9 from the bundled
    /// subset's training images (label = class folder); returns the bytes written. Real photos have
    /// colour, smooth backgrounds and sensor noise, which is what JPEG decoding time depends on, so
    /// each image gets a tint, a two-colour gradient and noise of up to +-12 levels.
    /// </summary>
    static long WritePhotos(string root, int count)
    {
        var source = new DatasetCatalog(new DataSettings()).Load(new DatasetConfig()).Train;
        if (count > source.Count) throw new ArgumentException($"--images {count}: the bundled subset has {source.Count} training images");
        for (var c = 0; c < 10; c++) Directory.CreateDirectory(Path.Combine(root, $"c{c}"));
        long bytes = 0;
        Parallel.For(0, count, i =>
        {
            var path = Path.Combine(root, $"c{source.Labels[i]}", $"img_{i:D5}.jpg");
            WritePhoto(source, i, path, new Random(i));
            Interlocked.Add(ref bytes, new FileInfo(path).Length);
        });
        return bytes;
    }

    static void WritePhoto(ImageSet source, int index, string path, Random random)
    {
        using var article = Image.LoadPixelData<L8>(source.Pixels.AsSpan(index * source.ImageBytes, source.ImageBytes), source.Width, source.Height);
        article.Mutate(x => x.Resize(PhotoSide, PhotoSide));
        Rgb24 Colour() => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        var (tint, top, bottom) = (Colour(), Colour(), Colour());
        using var photo = new Image<Rgb24>(PhotoSide, PhotoSide);
        photo.ProcessPixelRows(article, (target, grey) =>
        {
            for (var y = 0; y < PhotoSide; y++)
            {
                var row = target.GetRowSpan(y);
                var alphas = grey.GetRowSpan(y);
                var t = y / (double)(PhotoSide - 1);
                for (var x = 0; x < PhotoSide; x++)
                {
                    var a = alphas[x].PackedValue / 255.0;
                    byte Mix(byte background0, byte background1, byte fore)
                    {
                        var background = background0 + (background1 - background0) * t;
                        var noise = random.Next(13) + random.Next(13) - 12;
                        return (byte)Math.Clamp(background * (1 - a) + fore * a + noise, 0, 255);
                    }
                    row[x] = new Rgb24(Mix(top.R, bottom.R, tint.R), Mix(top.G, bottom.G, tint.G), Mix(top.B, bottom.B, tint.B));
                }
            }
        });
        photo.SaveAsJpeg(path, new JpegEncoder { Quality = JpegQuality });
    }
}
