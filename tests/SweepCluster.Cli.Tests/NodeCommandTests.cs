using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Cluster.Tests;

namespace SweepCluster.Cli.Tests;

/// <summary>`sweep node`'s own options, against the settings it reads from the environment.</summary>
public sealed class NodeCommandTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-node-").FullName;

    [Fact]
    public async Task Devices_given_as_an_option_win_over_sweep_devices()
    {
        var port = ListeningSockets.FreePort();
        // NodeProcess sets SWEEP_DEVICES=cpu:1; the option asks for three slots.
        using var node = NodeProcess.Start(port, "coordinator,worker", "", Path.Combine(_folder, "sweep.db"),
            options: ["--devices", "cpu:3", "--threads-per-slot", "1"]);
        await node.WaitUntilUp();
        Assert.Contains(node.Lines, l => l.Contains("devices cpu:3"));

        var spec = Path.Combine(_folder, "slots.yaml");
        await File.WriteAllTextAsync(spec, "name: slots\nkind: sleep\nsleep_ms: 200\narms: [true]\nseeds: 6\n");
        var sweepId = await Sweep.Submit(spec, node.Address);

        await using var client = await SweepClient.ConnectAsync(node.Address);
        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State != SweepState.Running);
        Assert.Equal((SweepState.Completed, 6), (status.Summary!.State, status.Summary.Completed));
        Assert.Equal(3, status.Workers.Count);
    }

    [Theory]
    [InlineData("--devices", "gpu:0", "error: --devices: 'gpu:0' is not auto, cpu, cpu:N or a list like cuda:0,cuda:1")]
    [InlineData("--devices", "cpu:0", "error: --devices: 'cpu:0': cpu:N needs a positive slot count")]
    [InlineData("--threads-per-slot", "-1", "error: --threads-per-slot: -1 must be 0 or more")]
    [InlineData("--fuse-seeds", "65", "error: --fuse-seeds: 65 is outside 0..64 (0: by device, 1: no fusion)")]
    public async Task A_bad_device_option_is_refused_naming_it(string option, string value, string error)
    {
        var run = await Sweep.RunWith(_folder, new Dictionary<string, string> { ["SWEEP_PORT"] = "0" }, "node", option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, run.Stderr.Trim());
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_drains_and_exits_zero_even_when_leaving_takes_long()
    {
        var (coordinatorPort, workerPort) = (ListeningSockets.FreePort(), ListeningSockets.FreePort());
        var seeds = $"akka.tcp://sweep@127.0.0.1:{coordinatorPort}";
        // No downing during the test: the worker's leave waits for the frozen coordinator, the leader.
        var settings = new Dictionary<string, string> { ["SWEEP_DOWN_AFTER_SECONDS"] = "600" };
        using var coordinator = NodeProcess.Start(coordinatorPort, "coordinator", seeds, Path.Combine(_folder, "sweep.db"), settings);
        await coordinator.WaitUntilUp();
        using var worker = NodeProcess.Start(workerPort, "worker", seeds, Path.Combine(_folder, "sweep.db"), settings);
        await worker.WaitUntilUp();
        var spec = Path.Combine(_folder, "long.yaml");
        await File.WriteAllTextAsync(spec, "name: long\nkind: sleep\nsleep_ms: 20000\narms: [true]\nseeds: 2\n");
        var submit = await Sweep.Run("submit", spec, "--cluster", coordinator.Address);
        Assert.True(submit.ExitCode == 0, submit.Stdout + submit.Stderr);
        for (var i = 0; i < 300 && !worker.TrialsRun().Any(); i++) await Task.Delay(100);
        var running = Assert.Single(worker.TrialsRun());

        coordinator.Freeze();
        try
        {
            worker.Terminate();
            // The drain outlasts System.CommandLine's default 2 s: leaving needs the leader, which
            // does not answer, so Akka's cluster-exiting phase runs its 10 s out.
            await worker.WaitForExit(TimeSpan.FromSeconds(60));
        }
        finally
        {
            coordinator.Thaw();
        }
        Assert.Contains(worker.Lines, l => l.Contains($"Draining: handing back trial {running}"));
        Assert.Contains(worker.Lines, l => l.Contains("leaving the cluster"));
        // Its own exit code, not the 143 System.CommandLine returns when it gives up waiting.
        Assert.True(worker.ExitCode == 0, $"exit code {worker.ExitCode}:\n{string.Join('\n', worker.Lines.TakeLast(20))}");
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
