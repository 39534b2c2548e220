using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Hosting;

/// <summary>The worker slots of a node: one per GPU, or a number of CPU slots sharing the cores.</summary>
public static class DeviceSlots
{
    /// <summary>
    /// Parses "auto", "cpu", "cpu:N" or "cuda:0,cuda:1" into one run option per slot. CPU slots
    /// split the cores between them unless <paramref name="threadsPerSlot"/> says otherwise.
    /// </summary>
    public static IReadOnlyList<TrialRunOptions> Parse(string devices, int threadsPerSlot, Func<int>? cudaDevices = null)
    {
        var spec = devices.Trim().ToLowerInvariant();
        if (spec == "auto")
        {
            var gpus = (cudaDevices ?? CudaDeviceCount)();
            spec = gpus > 0 ? string.Join(',', Enumerable.Range(0, gpus).Select(i => $"cuda:{i}")) : "cpu";
        }
        if (spec == "cpu" || spec.StartsWith("cpu:", StringComparison.Ordinal))
        {
            var slots = spec == "cpu" ? 1 : int.TryParse(spec[4..], out var n) && n > 0 ? n
                : throw new ArgumentException($"'{devices}': cpu:N needs a positive slot count");
            var threads = threadsPerSlot > 0 ? threadsPerSlot : Math.Max(1, Environment.ProcessorCount / slots);
            return Enumerable.Range(0, slots).Select(_ => new TrialRunOptions("cpu", threads)).ToList();
        }
        var list = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (list.Length == 0 || list.Any(d => !d.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(d[5..], out var i) || i < 0))
            throw new ArgumentException($"'{devices}' is not auto, cpu, cpu:N or a list like cuda:0,cuda:1");
        if (list.Distinct().Count() != list.Length) throw new ArgumentException($"'{devices}' names a device twice");
        return list.Select(d => new TrialRunOptions(d, threadsPerSlot)).ToList();
    }

    /// <summary>Seeds a CUDA slot fuses unless told otherwise: enough models to fill a GPU that one small CNN leaves mostly idle.</summary>
    public const int CudaFuseSeeds = 8;

    /// <summary>The most seeds a slot may fuse: each adds its own copy of the model, optimiser state and batch to the device.</summary>
    public const int MaxFuseSeeds = 64;

    /// <summary>
    /// How many seeds of one cell a slot on <paramref name="device"/> trains as one model:
    /// <paramref name="requested"/> when given (1: no fusion), else <see cref="CudaFuseSeeds"/> on
    /// CUDA and 1 on CPU, where fused training measured no faster than one trial after another
    /// (docs/benchmarks.md, fused seeds).
    /// </summary>
    public static int FuseSeeds(string device, int requested) =>
        requested > 0 ? requested : device.StartsWith("cuda", StringComparison.Ordinal) ? CudaFuseSeeds : 1;

    /// <summary>What is wrong with a requested number of fused seeds, or null when it is valid.</summary>
    public static string? FuseSeedsError(int requested) =>
        requested is < 0 or > MaxFuseSeeds ? $"{requested} is outside 0..{MaxFuseSeeds} (0: by device, 1: no fusion)" : null;

    static int CudaDeviceCount() => TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
}
