using System.Data.Common;
using Microsoft.Data.Sqlite;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage.Tests;

/// <summary>Every behaviour on both providers, against a real SQLite file and a real PostgreSQL.</summary>
public sealed class ResultsStoreTests
{
    const string Projection = "results";

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Creating_the_schema_again_keeps_the_tables_and_their_rows(string provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await db.Store.EnsureSchemaAsync();
        await db.Store.EnsureSchemaAsync();
        await db.Store.WriteBatchAsync(Projection, 1, [TrialResults.Row(Arm.True, 1)], [new("sweep-a", TrialResults.Row(Arm.True, 1).TrialId)]);

        await db.Store.EnsureSchemaAsync();

        Assert.Equal(1, await db.CountAsync("trial_results"));
        Assert.Equal(4, await db.CountAsync("epoch_metrics"));
        Assert.Equal(1, await db.CountAsync("sweep_trials"));
        Assert.Equal(1, await db.Store.ReadOffsetAsync(Projection));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Nodes_starting_together_all_create_the_schema_without_tripping_over_each_other(string provider)
    {
        // Found by the fault suite: three node processes starting at once raced PostgreSQL's
        // CREATE TABLE IF NOT EXISTS into a unique violation and one of them crashed.
        await using var db = await TestDatabase.CreateAsync(provider);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new ResultsStore(db.Settings).EnsureSchemaAsync())));
        Assert.Empty(await db.Store.QueryAsync(new ResultQuery()));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_sweep_counts_the_trials_it_lists_and_those_with_a_result(string provider)
    {
        await using var db = await CreateAsync(provider);
        var stored = TrialResults.Row(Arm.True, 1);
        // The second trial is listed but has no result: it failed or has not run.
        await db.Store.WriteBatchAsync(Projection, 1, [stored], [new("sweep-a", stored.TrialId), new("sweep-a", "no-result-yet")]);

        Assert.Equal(2, await db.Store.CountSweepTrialsAsync("sweep-a"));
        Assert.Equal(1, await db.Store.CountBySweepAsync("sweep-a"));
        Assert.Equal(0, await db.Store.CountSweepTrialsAsync("sweep-b"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_stored_row_reads_back_with_every_field_unchanged(string provider)
    {
        await using var db = await CreateAsync(provider);
        var noisy = TrialResults.Row(Arm.Noisy, 3, noise: 0.75, noiseSeed: ulong.MaxValue - 1);
        var headOnly = TrialResults.Row(Arm.HeadOnly, 4);

        await db.Store.WriteBatchAsync(Projection, 2, [noisy, headOnly], []);

        var stored = await db.Store.QueryAsync(new ResultQuery());
        Assert.Equal(2, stored.Count);
        foreach (var (expected, actual) in new[] { headOnly, noisy }.Zip(stored))
        {
            // Records compare lists by reference, so the epochs are compared on their own.
            Assert.Equal(expected with { Epochs = actual.Epochs }, actual);
            Assert.Equal(expected.Epochs, actual.Epochs);
        }
        var noisyStored = stored[1];
        Assert.Equal(ResultRow.TrainKind, noisyStored.Kind);
        Assert.Equal(ulong.MaxValue - 1, noisyStored.NoiseSeed);
        Assert.Equal(["pretrain", "pretrain", "finetune", "finetune"], noisyStored.Epochs.Select(e => e.Phase));
        Assert.Null(stored[0].PreFinetuneTestAccuracy);
        Assert.Null(stored[0].NoiseSeed);

        var result = noisyStored.ToTrialResult();
        var original = TrialResults.Make(Arm.Noisy, 3, noise: 0.75, noiseSeed: ulong.MaxValue - 1);
        Assert.Equal(original.ConfigHash, result.ConfigHash);
        Assert.Equal(original.Config, result.Config);
        Assert.Equal(original.Epochs, result.Epochs);
        Assert.Equal(original.TestPerClassAccuracy, result.TestPerClassAccuracy);
        Assert.Equal(original.Config.CanonicalJson(), noisyStored.ConfigJson);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_replayed_batch_changes_nothing_and_stores_each_trial_once(string provider)
    {
        await using var db = await CreateAsync(provider);
        var rows = new[] { TrialResults.Row(Arm.True, 1), TrialResults.Row(Arm.RandomFrozen, 1) };
        SweepMembership[] memberships = [new("sweep-a", rows[0].TrialId), new("sweep-a", rows[1].TrialId)];
        await db.Store.WriteBatchAsync(Projection, 7, rows, memberships);

        // The same events again, as after a crash before the journal saw the offset; then an
        // older batch, with a changed row, arriving late.
        await db.Store.WriteBatchAsync(Projection, 7, rows, memberships);
        await db.Store.WriteBatchAsync(Projection, 5, [rows[0] with { TestAccuracy = 0.01, Status = "failed" }], memberships);

        Assert.Equal(2, await db.CountAsync("trial_results"));
        Assert.Equal(rows.Sum(r => r.Epochs.Count), await db.CountAsync("epoch_metrics"));
        Assert.Equal(2, await db.CountAsync("sweep_trials"));
        Assert.Equal(7, await db.Store.ReadOffsetAsync(Projection));
        var stored = Assert.Single(await db.Store.QueryAsync(new ResultQuery { Arm = Arm.True }));
        Assert.Equal(rows[0].TestAccuracy, stored.TestAccuracy);
        Assert.Equal("completed", stored.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_later_result_of_the_same_trial_replaces_the_row(string provider)
    {
        // A forced rerun journals a second result for the same trial id.
        await using var db = await CreateAsync(provider);
        var first = TrialResults.Row(Arm.True, 1);
        await db.Store.WriteBatchAsync(Projection, 3, [first], []);
        var rerun = first with { TestAccuracy = 0.5, Epochs = first.Epochs.Take(1).ToList() };
        await db.Store.WriteBatchAsync(Projection, 9, [rerun], []);

        var stored = Assert.Single(await db.Store.QueryAsync(new ResultQuery()));
        Assert.Equal(0.5, stored.TestAccuracy);
        Assert.Equal(1, await db.CountAsync("epoch_metrics"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_sweep_keeps_its_spec_as_last_submitted(string provider)
    {
        await using var db = await CreateAsync(provider);
        var at = new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
        var first = new SweepRow("seeds-0123abcd", "seeds", at, null, "name: seeds\n");
        await db.Store.WriteBatchAsync(Projection, 1, [], [], [first]);
        Assert.Equal(first, await db.Store.ReadSweepAsync(first.SweepId));

        // Submitted again with a margin added: the same trials, so the same sweep, and one row.
        var again = first with { SubmittedAt = at.AddHours(1), EquivalenceMargin = 0.005, SpecYaml = "name: seeds\nequivalence_margin: 0.005\n" };
        await db.Store.WriteBatchAsync(Projection, 2, [], [], [again]);
        Assert.Equal(again, await db.Store.ReadSweepAsync(first.SweepId));
        Assert.Equal(1, await db.CountAsync("sweeps"));
        Assert.Null(await db.Store.ReadSweepAsync("other-sweep"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Offsets_start_at_zero_move_forward_and_are_kept_per_projection(string provider)
    {
        await using var db = await CreateAsync(provider);
        Assert.Equal(0, await db.Store.ReadOffsetAsync(Projection));

        await db.Store.WriteBatchAsync(Projection, 3, [], []);
        await db.Store.WriteBatchAsync("other", 10_000_000_000, [], []);
        await db.Store.WriteBatchAsync(Projection, 4, [], []);

        Assert.Equal(4, await db.Store.ReadOffsetAsync(Projection));
        Assert.Equal(10_000_000_000, await db.Store.ReadOffsetAsync("other"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Queries_filter_by_sweep_arm_noise_and_status_in_cell_then_seed_order(string provider)
    {
        await using var db = await CreateAsync(provider);
        var rows = new[]
        {
            TrialResults.Row(Arm.True, 2),
            TrialResults.Row(Arm.True, 1),
            TrialResults.Row(Arm.Noisy, 2, noise: 0.5),
            TrialResults.Row(Arm.Noisy, 1, noise: 0.5, status: "failed"),
            TrialResults.Row(Arm.Noisy, 1, noise: 1),
            TrialResults.Row(Arm.RandomFrozen, 1),
        };
        SweepMembership[] memberships = [.. rows.Take(4).Select(r => new SweepMembership("sweep-a", r.TrialId)), new("sweep-b", rows[4].TrialId)];
        await db.Store.WriteBatchAsync(Projection, 1, rows, memberships);

        async Task<string[]> Keys(ResultQuery query) =>
            (await db.Store.QueryAsync(query)).Select(r => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{r.CellKey}#{r.Seed}")).ToArray();

        Assert.Equal(["noisy/noise=0.5#1", "noisy/noise=0.5#2", "noisy/noise=1#1", "random-frozen/noise=0#1", "true/noise=0#1", "true/noise=0#2"],
            await Keys(new ResultQuery()));
        Assert.Equal(["noisy/noise=0.5#1", "noisy/noise=0.5#2", "true/noise=0#1", "true/noise=0#2"], await Keys(new ResultQuery { SweepId = "sweep-a" }));
        Assert.Equal(["noisy/noise=1#1"], await Keys(new ResultQuery { SweepId = "sweep-b" }));
        Assert.Equal(["noisy/noise=0.5#1", "noisy/noise=0.5#2", "noisy/noise=1#1"], await Keys(new ResultQuery { Arm = Arm.Noisy }));
        Assert.Equal(["noisy/noise=0.5#1", "noisy/noise=0.5#2"], await Keys(new ResultQuery { Noise = 0.5 }));
        Assert.Equal(["noisy/noise=0.5#1"], await Keys(new ResultQuery { Status = "failed" }));
        Assert.Equal(["noisy/noise=0.5#2"], await Keys(new ResultQuery { SweepId = "sweep-a", Arm = Arm.Noisy, Noise = 0.5, Status = "completed" }));
        Assert.Empty(await Keys(new ResultQuery { SweepId = "no-such-sweep" }));
        Assert.Empty(await Keys(new ResultQuery { Arm = Arm.HeadOnly }));

        // Each row comes with its own curves, however the rows were filtered.
        foreach (var row in await db.Store.QueryAsync(new ResultQuery { SweepId = "sweep-a", Arm = Arm.Noisy }))
            Assert.Equal(rows.Single(r => r.TrialId == row.TrialId).Epochs, row.Epochs);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task Epoch_curves_are_rows_that_sql_can_query(string provider)
    {
        await using var db = await CreateAsync(provider);
        var noisy = TrialResults.Row(Arm.Noisy, 1, noise: 1);
        var frozen = TrialResults.Row(Arm.RandomFrozen, 1);
        await db.Store.WriteBatchAsync(Projection, 1, [noisy, frozen], []);

        // The random-frozen arm does not pre-train, so it has fine-tuning epochs only.
        Assert.Equal(6, await db.CountAsync("epoch_metrics"));
        Assert.Equal(2L, Convert.ToInt64(await db.ScalarAsync($"SELECT COUNT(*) FROM epoch_metrics WHERE trial_id = '{frozen.TrialId}'")));
        var memorised = await db.ScalarAsync(
            $"SELECT corrupted_memorised_accuracy FROM epoch_metrics WHERE trial_id = '{noisy.TrialId}' AND phase = 'pretrain' AND epoch = 2");
        Assert.Equal(noisy.Epochs[1].CorruptedMemorisedAccuracy, Convert.ToDouble(memorised));
        var bestValidation = await db.ScalarAsync(
            "SELECT MAX(e.validation_accuracy) FROM epoch_metrics e JOIN trial_results r ON r.trial_id = e.trial_id " +
            "WHERE r.arm = 'noisy' AND e.phase = 'finetune'");
        Assert.Equal(noisy.Epochs.Where(e => e.Phase == "finetune").Max(e => e.ValidationAccuracy), Convert.ToDouble(bestValidation));
        Assert.IsType<DBNull>(await db.ScalarAsync($"SELECT clean_true_accuracy FROM epoch_metrics WHERE trial_id = '{frozen.TrialId}' AND epoch = 1"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_trial_shared_by_two_sweeps_is_stored_once_and_counted_in_both(string provider)
    {
        await using var db = await CreateAsync(provider);
        var shared = TrialResults.Row(Arm.True, 1);
        var onlyA = TrialResults.Row(Arm.True, 2);
        await db.Store.WriteBatchAsync(Projection, 1, [shared, onlyA], [new("sweep-a", shared.TrialId), new("sweep-a", onlyA.TrialId)]);

        // A second sweep asks for a trial that is already done: only the membership is new; its
        // other trial has no result yet and is not counted.
        await db.Store.WriteBatchAsync(Projection, 2, [shared], [new("sweep-b", shared.TrialId), new("sweep-b", "not-run-yet")]);

        Assert.Equal(2, await db.CountAsync("trial_results"));
        Assert.Equal(4, await db.CountAsync("sweep_trials"));
        Assert.Equal(2, await db.Store.CountBySweepAsync("sweep-a"));
        Assert.Equal(1, await db.Store.CountBySweepAsync("sweep-b"));
        Assert.Equal(0, await db.Store.CountBySweepAsync("sweep-c"));
        Assert.Equal(shared.TrialId, Assert.Single(await db.Store.QueryAsync(new ResultQuery { SweepId = "sweep-b" })).TrialId);
        Assert.Equal(2, (await db.Store.QueryAsync(new ResultQuery { SweepId = "sweep-a" })).Count);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_failing_batch_leaves_rows_memberships_and_offset_unchanged(string provider)
    {
        await using var db = await CreateAsync(provider);
        var first = TrialResults.Row(Arm.True, 1);
        await db.Store.WriteBatchAsync(Projection, 1, [first], [new("sweep-a", first.TrialId)]);

        // The good row is written before the bad one fails, so only the rollback can undo it.
        var good = TrialResults.Row(Arm.True, 2);
        var missingStatus = TrialResults.Row(Arm.True, 3) with { Status = null! };
        await Assert.ThrowsAnyAsync<DbException>(() => db.Store.WriteBatchAsync(Projection, 2, [good, missingStatus],
            [new("sweep-a", good.TrialId), new("sweep-b", missingStatus.TrialId)]));

        Assert.Equal(1, await db.Store.ReadOffsetAsync(Projection));
        Assert.Equal(first.TrialId, Assert.Single(await db.Store.QueryAsync(new ResultQuery())).TrialId);
        Assert.Equal(first.Epochs.Count, await db.CountAsync("epoch_metrics"));
        Assert.Equal(1, await db.CountAsync("sweep_trials"));

        // The store is usable afterwards: the retried batch, fixed, goes through.
        await db.Store.WriteBatchAsync(Projection, 2, [good], [new("sweep-a", good.TrialId)]);
        Assert.Equal(2, await db.Store.CountBySweepAsync("sweep-a"));
        Assert.Equal(2, await db.Store.ReadOffsetAsync(Projection));
    }

    [Fact]
    public async Task Sqlite_uses_wal_and_waits_for_a_concurrent_writer_instead_of_failing()
    {
        await using var db = await CreateAsync(DatabaseSettings.SqliteName);
        Assert.Equal("wal", await db.ScalarAsync("PRAGMA journal_mode"));

        // Another connection (standing in for the Akka journal) holds the write lock for a while.
        await using var journal = (SqliteConnection)await db.OpenAsync();
        await using var journalWrite = journal.BeginTransaction(deferred: false);
        var write = Task.Run(() => db.Store.WriteBatchAsync(Projection, 1, [TrialResults.Row(Arm.True, 1)], []));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(write.IsCompleted);
        journalWrite.Commit();

        await write.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, await db.CountAsync("trial_results"));
    }

    [Fact]
    public async Task An_unreachable_postgresql_fails_the_tests_with_directions()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            TestDatabase.CreatePostgresAsync("Host=127.0.0.1;Port=1;Username=sweep;Password=secret-word;Database=sweep_test;Timeout=2"));
        Assert.Contains(".ci/postgres.sh", error.Message);
        Assert.Contains(TestDatabase.PostgresVariable, error.Message);
        Assert.DoesNotContain("secret-word", error.Message);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Providers), MemberType = typeof(TestDatabase))]
    public async Task A_batch_larger_than_one_statement_is_stored_whole_and_replaced_whole(string provider)
    {
        // 500 rows of 4 epochs and 10,000 memberships: several multi-row statements of each table.
        await using var db = await CreateAsync(provider);
        var rows = Enumerable.Range(1, 500).Select(seed => TrialResults.Row(Arm.True, seed)).ToList();
        var memberships = Enumerable.Range(0, 10_000).Select(i => new SweepMembership($"sweep-{i % 2}", i < 500 ? rows[i].TrialId : $"planned-{i}")).ToList();
        await db.Store.WriteBatchAsync(Projection, 1, rows, memberships);

        Assert.Equal(500, await db.CountAsync("trial_results"));
        Assert.Equal(2_000, await db.CountAsync("epoch_metrics"));
        Assert.Equal(10_000, await db.CountAsync("sweep_trials"));
        var stored = await db.Store.QueryAsync(new ResultQuery());
        Assert.Equal(rows.Select(r => r.TrialId).Order(), stored.Select(r => r.TrialId).Order());
        Assert.All(stored, r => Assert.Equal(4, r.Epochs.Count));

        // A forced rerun of all of them: every old row and epoch goes, none is left twice.
        var reruns = rows.Select(r => r with { TestAccuracy = 0.25, Epochs = r.Epochs.Take(1).ToList() }).ToList();
        await db.Store.WriteBatchAsync(Projection, 2, reruns, memberships);
        Assert.Equal(500, await db.CountAsync("trial_results"));
        Assert.Equal(500, await db.CountAsync("epoch_metrics"));
        Assert.Equal(10_000, await db.CountAsync("sweep_trials"));
        Assert.All(await db.Store.QueryAsync(new ResultQuery()), r => Assert.Equal(0.25, r.TestAccuracy));
    }

    static async Task<TestDatabase> CreateAsync(string provider)
    {
        var db = await TestDatabase.CreateAsync(provider);
        await db.Store.EnsureSchemaAsync();
        return db;
    }
}
