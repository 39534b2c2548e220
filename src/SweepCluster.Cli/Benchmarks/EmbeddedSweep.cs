using System.Diagnostics;
using SweepCluster.Cli.Commands;
using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Benchmarks;

/// <summary>A sweep that ran to the end on an embedded node.</summary>
/// <param name="WallSeconds">From starting the node to the coordinator reporting the sweep complete.</param>
public sealed record EmbeddedRun(double WallSeconds, IReadOnlyList<TrialResult> Results);

/// <summary>
/// Runs a spec the way <c>sweep run</c> does (<see cref="RunCommand"/>): one node in this process
/// with both roles, on a SQLite file of its own in a new temporary folder (so no earlier result
/// is reused), talking to its coordinator through <see cref="SweepClient.Local"/>. Polls the
/// coordinator's status until the sweep ends; the caller sees every status it polled.
/// </summary>
public static class EmbeddedSweep
{
    /// <summary>The images a trial trained on: every epoch of both phases runs over the whole training split.</summary>
    public static long TrainedImages(TrialResult result) => (long)result.Split.Train * result.Epochs.Count;

    /// <param name="specFile">Where the spec came from: relative dataset paths and the data roots are taken from its folder, as <c>sweep run</c> takes them.</param>
    /// <param name="devices">NodeSettings.Devices: "cpu" or "cpu:N".</param>
    /// <param name="threadsPerSlot">NodeSettings.ThreadsPerSlot: 0 divides the cores between the slots.</param>
    /// <exception cref="InvalidOperationException">The sweep was rejected, or a trial failed.</exception>
    public static async Task<EmbeddedRun> RunAsync(string yaml, string specFile, string devices, int threadsPerSlot,
        TimeSpan pollEvery, Action<SweepStatusReply> observe)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"sweep-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var settings = new NodeSettings
            {
                Hostname = "127.0.0.1",
                Port = 0, // any free port: another node may hold sweep run's 4053
                DatabaseProvider = "sqlite",
                DatabaseConnection = Path.Combine(folder, "sweep.db"),
                Devices = devices,
                ThreadsPerSlot = threadsPerSlot,
                DownAfterSeconds = 2,
                DataRoots = string.Join(Path.PathSeparator, DataRootOption.Resolve(null, specFile).Folders),
            }.Validate();
            var clock = Stopwatch.StartNew();
            await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "ERROR");
            await using var client = SweepClient.Local(node);
            var reply = await client.AskAsync<ISweepMessage>(new SubmitSweep(yaml, specFile, Force: false));
            if (reply is SweepRejected rejected) throw new InvalidOperationException($"sweep rejected: {rejected.Reason}");
            var sweepId = ((SweepAccepted)reply).SweepId;
            SweepStatusReply status;
            while (true)
            {
                status = await client.AskAsync<SweepStatusReply>(new GetSweepStatus(sweepId));
                observe(status);
                if (status.Summary!.State != SweepState.Running) break;
                await Task.Delay(pollEvery);
            }
            var wall = clock.Elapsed.TotalSeconds;
            if (status.Summary.Failed > 0 || status.Summary.State != SweepState.Completed)
                throw new InvalidOperationException($"sweep {sweepId} ended {status.Summary.State} with {status.Summary.Failed} failed trials: {string.Join("; ", status.Failures)}");

            var store = new ResultsStore(settings.Database());
            // The results table follows the journal by up to a second.
            for (var i = 0; i < 50 && await store.CountBySweepAsync(sweepId) < status.Summary.Completed; i++)
                await Task.Delay(200);
            var rows = await store.QueryAsync(new ResultQuery { SweepId = sweepId });
            return new EmbeddedRun(wall, rows.Select(r => r.ToTrialResult()).ToList());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
