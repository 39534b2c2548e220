using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;

namespace SweepCluster.Cli.Tests;

/// <summary>`sweep node`'s own options, against the settings it reads from the environment.</summary>
public sealed class NodeCommandTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-node-").FullName;

    [Fact]
    public async Task Devices_given_as_an_option_win_over_sweep_devices()
    {
        var port = NodeProcess.FreePort();
        // NodeProcess sets SWEEP_DEVICES=cpu:1; the option asks for three slots.
        using var node = NodeProcess.Start(port, "coordinator,worker", "", Path.Combine(_folder, "sweep.db"),
            options: ["--devices", "cpu:3", "--threads-per-slot", "1"]);
        await node.WaitUntilUp();
        Assert.Contains(node.Lines, l => l.Contains("devices cpu:3"));

        var spec = Path.Combine(_folder, "slots.yaml");
        await File.WriteAllTextAsync(spec, "name: slots\nkind: sleep\nsleep_ms: 200\narms: [true]\nseeds: 6\n");
        var submit = await Sweep.Run("submit", spec, "--cluster", node.Address);
        Assert.True(submit.ExitCode == 0, submit.Stdout + submit.Stderr);
        var line = submit.Stdout.Split('\n').First(l => l.StartsWith("sweep ", StringComparison.Ordinal));
        var sweepId = line["sweep ".Length..line.IndexOf(':')];

        await using var client = await SweepClient.ConnectAsync(node.Address);
        var status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
        for (var i = 0; i < 600 && status.Summary!.State == SweepState.Running; i++)
        {
            await Task.Delay(200);
            status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
        }
        Assert.Equal((SweepState.Completed, 6), (status.Summary!.State, status.Summary.Completed));
        Assert.Equal(3, status.Workers.Count);
    }

    [Theory]
    [InlineData("--devices", "gpu:0", "error: --devices: 'gpu:0' is not auto, cpu, cpu:N or a list like cuda:0,cuda:1")]
    [InlineData("--devices", "cpu:0", "error: --devices: 'cpu:0': cpu:N needs a positive slot count")]
    [InlineData("--threads-per-slot", "-1", "error: --threads-per-slot: -1 must be 0 or more")]
    public async Task A_bad_device_option_is_refused_naming_it(string option, string value, string error)
    {
        var run = await Sweep.RunWith(_folder, new Dictionary<string, string> { ["SWEEP_PORT"] = "0" }, "node", option, value);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(error, run.Stderr.Trim());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
