using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Trials;

/// <summary>The one place that decides where tensors live.</summary>
public static class TorchDevice
{
    /// <summary>
    /// "auto" picks the first CUDA device when libtorch was built with CUDA and sees one, else the
    /// CPU; "cpu", "cuda" and "cuda:N" ask for exactly that and fail clearly if it is not there.
    /// </summary>
    public static Device Select(string? requested = "auto")
    {
        var name = string.IsNullOrWhiteSpace(requested) ? "auto" : requested.Trim().ToLowerInvariant();
        if (name == "auto") return cuda.is_available() ? CUDA : CPU;
        if (name == "cpu") return CPU;
        if (name.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new InvalidOperationException($"device '{requested}': this build of libtorch sees no CUDA device (the CPU build is used unless built with -p:TorchDevice=cuda)");
            var device = new Device(name);
            if (device.index >= cuda.device_count())
                throw new InvalidOperationException($"device '{requested}': only {cuda.device_count()} CUDA device(s) present");
            return device;
        }
        throw new ArgumentException($"device '{requested}' is not one of auto, cpu, cuda, cuda:N");
    }
}
