using Akka.Actor;
using SweepCluster.Cluster.Coordinator;
using SweepCluster.Cluster.Hosting;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Cluster.Results;
using SweepCluster.Storage;
using SweepCluster.Storage.Tests;
using SweepCluster.Training.Data;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cluster.Tests;

/// <summary>The coordinator persists, stops and recovers on both databases; results land in the table exactly once.</summary>
public class RecoveryTests
{
    /// <summary>A spec of sleep trials: the scheduler's work without the training.</summary>
    static string SleepSpec(string name, string arm, int seeds, int sleepMs) =>
        $"name: {name}\nkind: sleep\nsleep_ms: {sleepMs}\narms: [{arm}]\nseeds: {seeds}\n";

    internal static NodeSettings Embedded(DatabaseSettings database) => new()
    {
        Port = 0,
        DatabaseProvider = database.ProviderName,
        DatabaseConnection = database.ConnectionString,
        Devices = "cpu:3",
        DownAfterSeconds = 2,
    };

    internal static Task<SweepStatusReply> WaitUntilFinished(IActorRef coordinator, string sweepId) =>
        WaitFor(coordinator, sweepId, s => s.State is SweepState.Completed or SweepState.Cancelled, "finish");

    /// <summary>Polls the sweep's status until <paramref name="done"/> holds.</summary>
    static async Task<SweepStatusReply> WaitFor(IActorRef coordinator, string sweepId, Func<SweepSummary, bool> done, string what)
    {
        // Generous: real training on a busy two-core machine can take minutes; a hang still ends the test.
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (DateTime.UtcNow < deadline)
        {
            var status = await coordinator.Ask<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
            if (status.Summary is { } summary && done(summary)) return status;
            await Task.Delay(50);
        }
        throw new TimeoutException($"sweep {sweepId} did not {what}");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Should_record_every_result_once_and_resume_after_restart(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var database = db.Settings;
        var catalog = new DatasetCatalog(new DataSettings());
        var store = db.Store;
        string sweepId;
        await using (var node = await SweepNode.StartAsync(Embedded(database), catalog, "WARNING"))
        {
            var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("first", "noisy", 20, 20), "test", false), TimeSpan.FromSeconds(30));
            sweepId = accepted.SweepId;
            Assert.Equal((20, 0), (accepted.Trials, accepted.AlreadyCompleted));
            var status = await WaitUntilFinished(node.Coordinator, sweepId);
            Assert.Equal(20, status.Summary!.Completed);
            Assert.Equal(3, status.Workers.Count);
        }

        await using (var node = await SweepNode.StartAsync(Embedded(database), catalog, "WARNING"))
        {
            var status = await node.Coordinator.Ask<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(30));
            Assert.Equal(SweepState.Completed, status.Summary!.State);
            Assert.Equal(20, status.Summary.Completed);
            var again = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("first", "noisy", 20, 20), "test", false), TimeSpan.FromSeconds(10));
            Assert.Equal((sweepId, 20), (again.SweepId, again.AlreadyCompleted));

            // A bigger sweep reuses the 20 results and runs only the 10 new seeds.
            var bigger = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("second", "noisy", 30, 20), "test", false), TimeSpan.FromSeconds(10));
            Assert.Equal(20, bigger.AlreadyCompleted);
            await WaitUntilFinished(node.Coordinator, bigger.SweepId);
            // The results table follows the journal a moment behind.
            await WaitForProjection(store, bigger.SweepId, 30);
        }

        var rows = await store.QueryAsync(new ResultQuery());
        Assert.Equal(30, rows.Count);
        Assert.Equal(30, rows.Select(r => r.TrialId).Distinct().Count());
        Assert.Equal(20, await store.CountBySweepAsync(sweepId));
        // The projection keeps each sweep's spec as submitted, for reports and any SQL tool.
        Assert.Equal(SleepSpec("first", "noisy", 20, 20), (await store.ReadSweepAsync(sweepId))!.SpecYaml);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Should_recover_mid_sweep_from_a_snapshot_and_the_events_after_it_without_rerunning_anything(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var catalog = new DatasetCatalog(new DataSettings());
        var settings = Embedded(db.Settings) with { Devices = "cpu:2", SnapshotEvery = 5 };
        string first;
        await using (var node = await SweepNode.StartAsync(settings, catalog, "WARNING"))
        {
            first = (await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("snapshotted", "true", 30, 100), "test", false), TimeSpan.FromSeconds(30))).SweepId;
            await WaitFor(node.Coordinator, first, s => s.Completed >= 12, "reach 12 completed trials");
        } // stopped mid-sweep: the workers hand their trials back

        var snapshotAt = await db.ScalarAsync($"SELECT MAX(sequence_number) FROM snapshot WHERE persistence_id = '{SweepCoordinator.Name}'") is long at ? at : 0;
        Assert.True(snapshotAt >= 5, $"no snapshot taken (latest at event {snapshotAt})");

        // A second life that takes no snapshot journals one more event for certain: another sweep,
        // which nothing runs (no workers).
        string second;
        await using (var node = await SweepNode.StartAsync(settings with { Roles = NodeSettings.CoordinatorRole, SnapshotEvery = 1000 }, catalog, "WARNING"))
        {
            second = (await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("later", "head-only", 2, 100), "test", false), TimeSpan.FromSeconds(30))).SweepId;
            // Everything journalled so far reaches the results table before the events under the snapshot go.
            var last = (long)(await db.ScalarAsync($"SELECT MAX(sequence_number) FROM journal WHERE persistence_id = '{SweepCoordinator.Name}'"))!;
            Assert.True(last > snapshotAt, $"nothing journalled after the snapshot at {snapshotAt}");
            for (var i = 0; i < 100 && await db.Store.ReadOffsetAsync(ResultsProjection.ProjectionId) < last; i++) await Task.Delay(100);
        }
        List<Journal.Completion> beforeRestart;
        await using (var connection = await db.OpenAsync())
            beforeRestart = await Journal.CompletionsAsync(connection);
        var storedBefore = (await db.Store.QueryAsync(new ResultQuery { SweepId = first })).ToDictionary(r => r.TrialId, r => r.StartedAt);
        Assert.Equal(beforeRestart.Count, storedBefore.Count);
        Assert.InRange(beforeRestart.Count, 12, 29);

        // Events up to the snapshot are deleted, as Akka.Persistence would once it no longer needs
        // them: the first sweep, submitted in event 1, is then known from the snapshot alone.
        await using (var connection = await db.OpenAsync())
        await using (var delete = connection.CreateCommand())
        {
            delete.CommandText = $"DELETE FROM journal WHERE persistence_id = '{SweepCoordinator.Name}' AND sequence_number <= {snapshotAt}";
            Assert.True(await delete.ExecuteNonQueryAsync() >= 5);
        }

        await using (var node = await SweepNode.StartAsync(settings, catalog, "WARNING"))
        {
            var recovered = await node.Coordinator.Ask<SweepStatusReply>(new GetSweepStatus(first), TimeSpan.FromSeconds(30));
            Assert.True(recovered.Summary!.Completed >= beforeRestart.Count, $"recovered {recovered.Summary.Completed} completed of {beforeRestart.Count}");
            var finished = await WaitUntilFinished(node.Coordinator, first);
            Assert.Equal((SweepState.Completed, 30), (finished.Summary!.State, finished.Summary.Completed));
            Assert.Equal(2, (await WaitUntilFinished(node.Coordinator, second)).Summary!.Completed);
            await WaitForProjection(db.Store, first, 30);
        }

        // Each trial journalled once across all three lives: none that had completed ran again.
        List<Journal.Completion> after;
        await using (var connection = await db.OpenAsync())
            after = await Journal.CompletionsAsync(connection);
        var everyCompletion = beforeRestart.Where(c => c.SequenceNr <= snapshotAt).Concat(after).Select(c => c.TrialId).ToList();
        Assert.Equal(32, everyCompletion.Count);
        Assert.Equal(32, everyCompletion.Distinct().Count());
        var storedAfter = (await db.Store.QueryAsync(new ResultQuery { SweepId = first })).ToDictionary(r => r.TrialId, r => r.StartedAt);
        Assert.Equal(30, storedAfter.Count);
        Assert.All(storedBefore, before => Assert.Equal(before.Value, storedAfter[before.Key]));
    }

    internal static async Task WaitForProjection(ResultsStore store, string sweepId, int expected)
    {
        for (var i = 0; i < 100 && await store.CountBySweepAsync(sweepId) < expected; i++) await Task.Delay(100);
    }

    [Fact]
    public async Task Should_give_identical_results_on_sqlite_and_postgresql()
    {
        // Real training: a corrupted-label arm (pre-training, a corruption record) and a frozen random one, two seeds, 600 bundled images.
        const string spec = "name: same\ndataset: {name: fashion-mnist-subset, train_limit: 600}\narms: [noisy, random-frozen]\nseeds: 2\n";
        var results = new List<IReadOnlyList<ResultRow>>();
        foreach (var provider in new[] { DatabaseSettings.SqliteName, DatabaseSettings.PostgreSqlName })
        {
            await using var db = await TestDatabase.CreateAsync(provider);
            await using (var node = await SweepNode.StartAsync(Embedded(db.Settings) with { Devices = "cpu" },
                             new DatasetCatalog(new DataSettings()), "WARNING"))
            {
                var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(spec, "same.yaml", false), TimeSpan.FromSeconds(30));
                await WaitUntilFinished(node.Coordinator, accepted.SweepId);
                await WaitForProjection(db.Store, accepted.SweepId, 4);
            }
            results.Add((await db.Store.QueryAsync(new ResultQuery())).OrderBy(r => r.TrialId).ToList());
        }
        Assert.Equal(4, results[0].Count);
        // Not a comparison of empty fields: what the arms record is there.
        var noisy = results[0].Where(r => r.Arm == "noisy").Select(r => r.ToTrialResult()).ToList();
        Assert.Equal(2, noisy.Count);
        Assert.All(noisy, r => Assert.True(r.Corruption is not null && r.PreFinetuneTestAccuracy is not null && r.Epochs.Count > 0 && r.Layers.Count > 0));
        Assert.Equal(results[0].Select(Comparable), results[1].Select(Comparable));
    }

    /// <summary>
    /// A stored result, its columns and its whole result JSON (every metric, per-epoch curves,
    /// layer statistics, checkpoints, corruption record, split, seeds), as text, without what
    /// legitimately differs between two runs: timings and throughput, timestamps, host and worker.
    /// </summary>
    static string Comparable(ResultRow row)
    {
        var result = row.ToTrialResult();
        var epochs = result.Epochs.Select(e => e with { Seconds = 0, ImagesPerSecond = 0 }).ToList();
        var timeless = result with
        {
            Epochs = epochs,
            Timings = new Timings(0, 0, 0),
            ImagesPerSecond = 0,
            Environment = result.Environment with { Host = "" },
            StartedAt = default,
            FinishedAt = default,
        };
        var columns = row with
        {
            Worker = "", StartedAt = default, FinishedAt = default, TotalSeconds = 0, ImagesPerSecond = 0, ResultJson = "",
            Epochs = row.Epochs.Select(e => e with { Seconds = 0, ImagesPerSecond = 0 }).ToList(),
        };
        return System.Text.Json.JsonSerializer.Serialize(timeless, TrialJson.Compact) + "\n" + System.Text.Json.JsonSerializer.Serialize(columns);
    }

    [Fact]
    public async Task Should_stop_dispatching_a_cancelled_sweep()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await using var node = await SweepNode.StartAsync(Embedded(db.Settings), new DatasetCatalog(new DataSettings()), "WARNING");
        var accepted = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("long", "true", 50, 200), "test", false), TimeSpan.FromSeconds(30));
        await Task.Delay(500);
        var cancelled = await node.Coordinator.Ask<SweepStatusReply>(new CancelSweep(accepted.SweepId), TimeSpan.FromSeconds(10));
        Assert.Equal(SweepState.Cancelled, cancelled.Summary!.State);
        await Task.Delay(1000);
        var later = await node.Coordinator.Ask<SweepStatusReply>(new GetSweepStatus(accepted.SweepId), TimeSpan.FromSeconds(10));
        Assert.InRange(later.Summary!.Completed, 1, 20);
        Assert.Equal(0, later.Summary.Running);
        Assert.Equal(cancelled.Summary.Completed, later.Summary.Completed);
    }

    [Theory]
    [InlineData(0.05, 3)]    // sleep trials spread about 0.005: three seeds already meet a wide target
    [InlineData(0.008, 6)]   // three seeds leave about 0.012, six about 0.005: one batch added, then the target is met
    [InlineData(0.0001, 9)]  // a target no spread meets: the budget runs to max
    public async Task Should_add_seeds_until_the_target_or_max_even_across_a_restart(double target, int expected)
    {
        var spec = $"name: adaptive\nkind: sleep\nsleep_ms: 30\narms: [true, head-only]\n" +
                   $"seeds: {{min: 3, max: 9, batch: 3, target_halfwidth: {target.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}\n";
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        var catalog = new DatasetCatalog(new DataSettings());
        string sweepId;
        await using (var node = await SweepNode.StartAsync(Embedded(db.Settings) with { Devices = "cpu:1" }, catalog, "WARNING"))
        {
            sweepId = (await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(spec, "adaptive.yaml", false), TimeSpan.FromSeconds(30))).SweepId;
            // Stop part-way: the budget's decisions so far are in the journal, the rest is not.
            // Where the budget grows, at least one cell has grown before the restart.
            for (var i = 0; i < 100; i++)
            {
                var status = await node.Coordinator.Ask<SweepStatusReply>(new GetSweepStatus(sweepId), TimeSpan.FromSeconds(10));
                if (status.Summary!.Completed >= 4 && (expected == 3 || status.Cells.Any(c => c.Trials > 3))) break;
                await Task.Delay(50);
            }
        }
        await using (var node = await SweepNode.StartAsync(Embedded(db.Settings) with { Devices = "cpu:1" }, catalog, "WARNING"))
        {
            var status = await WaitUntilFinished(node.Coordinator, sweepId);
            Assert.Equal(SweepState.Completed, status.Summary!.State);
            Assert.All(status.Cells, c => Assert.Equal((expected, expected), (c.Trials, c.Completed)));
            Assert.All(status.Cells, c => Assert.NotNull(c.HalfWidth));
            await WaitForProjection(db.Store, sweepId, 2 * expected);
        }
        var rows = await db.Store.QueryAsync(new ResultQuery { SweepId = sweepId });
        Assert.Equal(2 * expected, rows.Count);
        Assert.Equal(Enumerable.Range(1, expected), rows.Where(r => r.Arm == "true").Select(r => r.Seed).Order());
    }

    [Fact]
    public async Task Should_reject_a_bad_spec_with_its_reason()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await using var node = await SweepNode.StartAsync(Embedded(db.Settings), new DatasetCatalog(new DataSettings()), "WARNING");
        var reply = await node.Coordinator.Ask<SweepRejected>(new SubmitSweep(SleepSpec("broken", "nonsense", 1, 0), "test", false), TimeSpan.FromSeconds(30));
        Assert.Contains("nonsense", reply.Reason);
    }

    [Fact]
    public async Task Should_refuse_a_flood_past_the_queue_limit_and_data_outside_the_roots_and_keep_serving()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        var settings = Embedded(db.Settings) with { Devices = "cpu:1", MaxQueuedTrials = 30, DataRoots = "/srv/sweep-data" };
        await using var node = await SweepNode.StartAsync(settings, new DatasetCatalog(settings.DataSettings()), "WARNING");

        var first = await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("first", "true", 20, 200), "test", false), TimeSpan.FromSeconds(30));
        var flood = await node.Coordinator.Ask<SweepRejected>(new SubmitSweep(SleepSpec("flood", "head-only", 20, 200), "test", false), TimeSpan.FromSeconds(10));
        Assert.Contains("over the coordinator's limit of 30 (SWEEP_MAX_QUEUED_TRIALS)", flood.Reason);

        var outside = await node.Coordinator.Ask<SweepRejected>(new SubmitSweep(
            "name: escape\ndataset: {name: idx, path: ../../etc}\narms: [true]\nseeds: 1\n", "escape.yaml", false), TimeSpan.FromSeconds(10));
        Assert.Contains("dataset.path at line 2", outside.Reason);
        Assert.Contains("lies outside the data roots (/srv/sweep-data)", outside.Reason);

        // Refusals leave nothing behind: the node still serves, and only the first sweep exists.
        var list = await node.Coordinator.Ask<SweepList>(ListSweeps.Instance, TimeSpan.FromSeconds(10));
        Assert.Equal([first.SweepId], list.Sweeps.Select(s => s.SweepId));
        await node.Coordinator.Ask<SweepStatusReply>(new CancelSweep(first.SweepId), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Should_recover_a_sweep_accepted_before_its_limits_were_lowered()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        string sweepId;
        await using (var node = await SweepNode.StartAsync(Embedded(db.Settings) with { Devices = "cpu:1" }, new DatasetCatalog(new DataSettings()), "WARNING"))
        {
            sweepId = (await node.Coordinator.Ask<SweepAccepted>(new SubmitSweep(SleepSpec("big", "true", 12, 100), "test", false), TimeSpan.FromSeconds(30))).SweepId;
            await Task.Delay(300);
        }
        // The operator lowers the trial limit below the accepted sweep's size: the sweep still recovers and finishes.
        await using (var node = await SweepNode.StartAsync(Embedded(db.Settings) with { MaxTrials = 5 }, new DatasetCatalog(new DataSettings()), "WARNING"))
        {
            var status = await WaitUntilFinished(node.Coordinator, sweepId);
            Assert.Equal((SweepState.Completed, 12), (status.Summary!.State, status.Summary.Completed));
            var again = await node.Coordinator.Ask<SweepRejected>(new SubmitSweep(SleepSpec("big2", "true", 12, 100), "test", false), TimeSpan.FromSeconds(10));
            Assert.Contains("over the limit of 5", again.Reason);
        }
    }
}
