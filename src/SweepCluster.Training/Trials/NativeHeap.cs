using System.Runtime.InteropServices;

namespace SweepCluster.Training.Trials;

/// <summary>
/// Hands the memory libtorch freed back to the operating system. glibc's malloc keeps freed
/// blocks in per-thread arenas, and its mmap threshold grows with the blocks freed, so after the
/// first trial a trial's tensors (up to 32 MB each) come from and return to those arenas rather
/// than to the kernel. Every trial runs on a new thread, which may be given another arena, so
/// without a trim a worker's resident memory grew by about 200 MB per trial, although libtorch
/// held no more memory after trial 100 than after trial 1 (docs/benchmarks.md, "Memory over 100
/// trials").
/// </summary>
static class NativeHeap
{
    static bool _unavailable;

    /// <summary>malloc_trim(0) on glibc; nothing elsewhere (macOS, Windows, musl, which has no such call).</summary>
    public static void Trim()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return;
        try
        {
            malloc_trim(0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
        }
    }

    [DllImport("libc", ExactSpelling = true)]
    static extern int malloc_trim(nuint pad);
}
