using System.CommandLine;
using SweepCluster.Cluster.Hosting;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// <c>--devices</c>, <c>--threads-per-slot</c> and <c>--fuse-seeds</c> of the commands that start
/// workers. Given, they take the place of the node settings <c>Devices</c>, <c>ThreadsPerSlot</c>
/// and <c>FuseSeeds</c>, however those were set (SWEEP_*, appsettings.json or the defaults).
/// </summary>
public sealed class DeviceOptions
{
    /// <param name="fromSettings">Whether the command also reads node settings (SWEEP_* variables, appsettings.json), for the help text.</param>
    public DeviceOptions(bool fromSettings)
    {
        string Default(string variable, string fallback) => fromSettings ? $"SWEEP_{variable}, else {fallback}" : fallback;
        Devices = new Option<string?>("--devices")
        {
            Description = $"Worker slots: auto (every GPU, else one CPU slot) | cpu | cpu:N | cuda:0,cuda:1 (default: {Default("DEVICES", "auto")})",
        };
        ThreadsPerSlot = new Option<int?>("--threads-per-slot", "--threads")
        {
            Description = $"Torch threads per slot; 0 divides the cores between CPU slots (default: {Default("THREADS_PER_SLOT", "0")})",
        };
        FuseSeeds = new Option<int?>("--fuse-seeds")
        {
            Description = $"Seeds of one cell a slot trains as one fused model; 0: {DeviceSlots.CudaFuseSeeds} on CUDA, 1 (none) on CPU (default: {Default("FUSE_SEEDS", "0")})",
        };
    }

    public Option<string?> Devices { get; }
    public Option<int?> ThreadsPerSlot { get; }
    public Option<int?> FuseSeeds { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Devices);
        command.Options.Add(ThreadsPerSlot);
        command.Options.Add(FuseSeeds);
    }

    /// <summary>The settings with the options given in place of theirs.</summary>
    /// <exception cref="ArgumentException">A value given is invalid; the message names its option.</exception>
    public NodeSettings Apply(ParseResult parse, NodeSettings settings)
    {
        var devices = parse.GetValue(Devices);
        var threads = parse.GetValue(ThreadsPerSlot);
        if (threads < 0) throw new ArgumentException($"--threads-per-slot: {threads} must be 0 or more");
        var fuse = parse.GetValue(FuseSeeds);
        if (fuse is { } requested && DeviceSlots.FuseSeedsError(requested) is { } error) throw new ArgumentException($"--fuse-seeds: {error}");
        var applied = settings with
        {
            Devices = devices ?? settings.Devices, ThreadsPerSlot = threads ?? settings.ThreadsPerSlot, FuseSeeds = fuse ?? settings.FuseSeeds,
        };
        if (devices is null) return applied;
        try
        {
            DeviceSlots.Parse(devices, applied.ThreadsPerSlot);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--devices: {e.Message}", e);
        }
        return applied;
    }
}
