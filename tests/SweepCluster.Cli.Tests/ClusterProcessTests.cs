using SweepCluster.Cluster.Client;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Cluster.Tests;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// Real node processes on loopback: one coordinator node and two worker nodes started with
/// `sweep node`, a sweep submitted with `sweep submit`, nodes killed with SIGKILL.
/// </summary>
public sealed class ClusterProcessTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-cluster-").FullName;
    readonly List<NodeProcess> _nodes = [];
    readonly int _coordinatorPort = ListeningSockets.FreePort();
    readonly int[] _workerPorts = [ListeningSockets.FreePort(), ListeningSockets.FreePort()];

    string Database => Path.Combine(_folder, "sweep.db");
    string Seeds => string.Join(',', new[] { _coordinatorPort }.Concat(_workerPorts).Select(p => $"akka.tcp://sweep@127.0.0.1:{p}"));
    string Contact => $"akka.tcp://sweep@127.0.0.1:{_coordinatorPort}";

    NodeProcess StartNode(int port, string roles, IDictionary<string, string>? settings = null)
    {
        var node = NodeProcess.Start(port, roles, Seeds, Database, settings);
        _nodes.Add(node);
        return node;
    }

    async Task<(NodeProcess Coordinator, NodeProcess[] Workers)> StartCluster(IDictionary<string, string>? settings = null)
    {
        var coordinator = StartNode(_coordinatorPort, "coordinator", settings);
        await coordinator.WaitUntilUp();
        var workers = _workerPorts.Select(p => StartNode(p, "worker", settings)).ToArray();
        foreach (var w in workers) await w.WaitUntilUp();
        return (coordinator, workers);
    }

    /// <summary>A spec of sleep trials: `count` seeds of every arm, each trial sleeping `ms`.</summary>
    string Spec(string name, int seeds, int ms)
    {
        var path = Path.Combine(_folder, name + ".yaml");
        File.WriteAllText(path, $"name: {name}\nkind: sleep\nsleep_ms: {ms}\narms: [true, random-frozen]\nseeds: {seeds}\n");
        return path;
    }

    static string? RunningOn(SweepStatusReply status, int port) =>
        status.Workers.FirstOrDefault(w => w.WorkerId.Contains($":{port}/") && w.TrialId is not null)?.TrialId;

    async Task<IReadOnlyList<ResultRow>> Results(string sweepId, int expected)
    {
        var store = new ResultsStore(DatabaseSettings.Sqlite(Database));
        for (var i = 0; i < 100 && await store.CountBySweepAsync(sweepId) < expected; i++) await Task.Delay(100);
        return await store.QueryAsync(new ResultQuery { SweepId = sweepId });
    }

    [Fact]
    public async Task A_coordinator_and_two_workers_run_a_sweep_to_completion()
    {
        var (_, workers) = await StartCluster();
        var sweepId = await Sweep.Submit(Spec("three-nodes", seeds: 15, ms: 100), Contact);
        await using var client = await SweepClient.ConnectAsync(Contact);
        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == SweepState.Completed);
        Assert.Equal(30, status.Summary!.Completed);
        Assert.All(workers, w => Assert.NotEmpty(w.TrialsRun()));
        Assert.Equal(30, (await Results(sweepId, 30)).Count);

        var list = await Sweep.Run("list", "--cluster", Contact);
        Assert.Contains(sweepId, list.Stdout);
    }

    [Fact]
    public async Task Specs_up_to_the_size_limit_cross_the_wire_and_larger_ones_are_refused_by_size()
    {
        await StartNode(_coordinatorPort, "coordinator,worker").WaitUntilUp();
        string Padded(string name, int kilobytes)
        {
            var path = Path.Combine(_folder, name + ".yaml");
            var comment = "# " + new string('x', 1021) + "\n";
            File.WriteAllText(path, $"name: {name}\nkind: sleep\nsleep_ms: 10\narms: [true]\nseeds: 1\n" + string.Concat(Enumerable.Repeat(comment, kilobytes)));
            return path;
        }

        // 200 KiB: under the spec limit (256 KiB), over Akka.Remote's default frame (128,000 bytes).
        var large = await Sweep.Run("submit", Padded("large", 200), "--cluster", Contact);
        Assert.True(large.ExitCode == 0, large.Stdout + large.Stderr);
        Assert.Contains("1 trials, 0 already completed", large.Stdout);

        // Over the spec limit: the coordinator gets it and refuses it by its size.
        var over = await Sweep.Run("submit", Padded("over", 300), "--cluster", Contact);
        Assert.Equal(2, over.ExitCode);
        Assert.Contains("over the limit of 262,144", over.Stderr);

        // Over what one message may carry: the client refuses it instead of sending it into the void.
        var huge = await Sweep.Run("submit", Padded("huge", 1100), "--cluster", Contact);
        Assert.Equal(2, huge.ExitCode);
        Assert.Contains("error: the spec huge.yaml encodes to", huge.Stderr);
        Assert.Contains("over the 1,048,576 bytes one message to the cluster may carry", huge.Stderr);
    }

    [Fact]
    public async Task A_killed_worker_loses_nothing_and_its_trial_completes_elsewhere()
    {
        var (_, workers) = await StartCluster();
        var sweepId = await Sweep.Submit(Spec("kill-worker", seeds: 10, ms: 1500), Contact);
        await using var client = await SweepClient.ConnectAsync(Contact);
        // Kill the worker while the coordinator has a trial leased to it.
        var running = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.Completed >= 2 && RunningOn(s, _workerPorts[0]) is not null);
        var interrupted = RunningOn(running, _workerPorts[0])!;
        workers[0].Kill();

        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == SweepState.Completed);
        Assert.Equal(20, status.Summary!.Completed);
        var rows = await Results(sweepId, 20);
        // The trial killed half-way ran again on the other worker, whose result is the one recorded.
        Assert.Contains(interrupted[..12], workers[1].TrialsRun());
        Assert.Contains($":{_workerPorts[1]}/", rows.Single(r => r.TrialId == interrupted).Worker);
        Assert.Equal(20, rows.Count);
        Assert.Equal(20, rows.Select(r => r.TrialId).Distinct().Count());
    }

    [Fact]
    public async Task A_trial_on_an_unreachable_worker_runs_elsewhere_at_once_and_a_late_result_counts_once()
    {
        // Leases and downing far beyond the test's patience: only unreachability can move the trial.
        var (_, workers) = await StartCluster(new Dictionary<string, string> { ["SWEEP_LEASE_SECONDS"] = "600", ["SWEEP_DOWN_AFTER_SECONDS"] = "600" });
        var sweepId = await Sweep.Submit(Spec("unreachable", seeds: 6, ms: 3000), Contact);
        await using var client = await SweepClient.ConnectAsync(Contact);
        var running = await Sweep.WaitForStatus(client, sweepId, s => RunningOn(s, _workerPorts[0]) is { } id && workers[0].TrialsRun().Contains(id[..12]));
        var stranded = RunningOn(running, _workerPorts[0])!;

        workers[0].Freeze();
        try
        {
            await Wait.Until(() => workers[1].TrialsRun().Contains(stranded[..12]),
                "the trial of the unreachable worker did not go to the other worker", TimeSpan.FromSeconds(90));
        }
        finally
        {
            // Back again, it finishes (or is told to cancel) the trial it held: either way the result counts once.
            workers[0].Thaw();
        }

        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == SweepState.Completed);
        Assert.Equal(12, status.Summary!.Completed);
        var rows = await Results(sweepId, 12);
        Assert.Equal(12, rows.Select(r => r.TrialId).Distinct().Count());
        Assert.Equal(12, rows.Count);
        var journalled = (await Journal.CompletionsAsync(Database)).Select(c => c.TrialId).ToList();
        Assert.Equal(12, journalled.Count);
        Assert.Equal(12, journalled.Distinct().Count());
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_hands_its_trial_back_and_leaves()
    {
        var (_, workers) = await StartCluster();
        var sweepId = await Sweep.Submit(Spec("drain", seeds: 4, ms: 4000), Contact);
        await using var client = await SweepClient.ConnectAsync(Contact);
        await Sweep.WaitForStatus(client, sweepId, s => s.Workers.Any(w => w.TrialId is not null && w.WorkerId.Contains($":{_workerPorts[0]}/")) && workers[0].TrialsRun().Any());
        var handedBack = workers[0].TrialsRun().Last();
        workers[0].Terminate();
        await workers[0].WaitForExit(TimeSpan.FromSeconds(30));
        Assert.Contains(workers[0].Lines, l => l.Contains("leaving the cluster"));
        Assert.Contains(workers[0].Lines, l => l.Contains($"Draining: handing back trial {handedBack}"));

        var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == SweepState.Completed);
        Assert.Equal(8, status.Summary!.Completed);
        // The unfinished trial ran again on the other worker rather than waiting for a lease to expire.
        Assert.Contains(handedBack, workers[1].TrialsRun());
        Assert.Equal(8, (await Results(sweepId, 8)).Count);
    }

    [Fact]
    public async Task A_killed_and_restarted_coordinator_finishes_the_sweep_without_rerunning_completed_trials()
    {
        var (coordinator, workers) = await StartCluster();
        var sweepId = await Sweep.Submit(Spec("kill-coordinator", seeds: 12, ms: 400), Contact);
        string[] completedBeforeKill;
        await using (var client = await SweepClient.ConnectAsync(Contact))
        {
            await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.Completed >= 8);
            completedBeforeKill = (await Results(sweepId, 0)).Select(r => r.TrialId[..12]).ToArray();
        }
        coordinator.Kill();
        await Task.Delay(3000);
        var restarted = StartNode(_coordinatorPort, "coordinator");
        await restarted.WaitUntilUp();

        await using (var client = await SweepClient.ConnectAsync(Contact))
        {
            var status = await Sweep.WaitForStatus(client, sweepId, s => s.Summary!.State == SweepState.Completed);
            Assert.Equal(24, status.Summary!.Completed);
        }
        var runs = workers.SelectMany(w => w.TrialsRun()).ToList();
        Assert.NotEmpty(completedBeforeKill);
        Assert.All(completedBeforeKill, id => Assert.Equal(1, runs.Count(r => r == id)));
        Assert.Equal(24, runs.Distinct().Count());
        Assert.Equal(24, (await Results(sweepId, 24)).Count);
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
