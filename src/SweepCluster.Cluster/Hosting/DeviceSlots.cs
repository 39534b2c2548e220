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

    static int CudaDeviceCount() => TorchSharp.torch.cuda.is_available() ? TorchSharp.torch.cuda.device_count() : 0;
}
