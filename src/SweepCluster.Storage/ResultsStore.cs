using System.Data.Common;
using System.Globalization;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage;

/// <summary>
/// Trial results in SQLite or PostgreSQL, written by an event-sourced projection and read by
/// whoever summarises sweeps. Plain ADO.NET: each method opens a pooled connection, does its work
/// and closes it, so one store can be shared by any number of callers.
/// </summary>
public sealed class ResultsStore(DatabaseSettings settings)
{
    readonly SqlDialect _dialect = SqlDialect.For(settings.Provider);

    /// <summary>Creates whatever tables and indexes are missing; existing ones and their rows are left alone.</summary>
    public async Task EnsureSchemaAsync(CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        if (_dialect.SchemaSetup is not null)
            await ExecuteAsync(connection, null, _dialect.SchemaSetup, cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        if (_dialect.SchemaLock is not null)
            await ExecuteAsync(connection, transaction, _dialect.SchemaLock, cancellation);
        foreach (var statement in ResultsSchema.CreateStatements(_dialect))
            await ExecuteAsync(connection, transaction, statement, cancellation);
        await transaction.CommitAsync(cancellation);
    }

    /// <summary>
    /// Records a batch of results and sweep memberships and moves the projection's offset to
    /// <paramref name="sequenceNr"/>, all in one transaction: either all of it is stored or none.
    /// A batch at or below the stored offset was applied already and changes nothing, so a replay
    /// after a crash stores each trial exactly once and the offset never moves backwards. A
    /// result for a trial that already has a row (a forced rerun) replaces it: one row per trial,
    /// always the latest.
    /// </summary>
    public async Task WriteBatchAsync(string projectionId, long sequenceNr, IReadOnlyList<ResultRow> rows,
        IReadOnlyList<SweepMembership> memberships, IReadOnlyList<SweepRow>? sweeps = null, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var transaction = await connection.BeginTransactionAsync(cancellation);
        await using (var readOffset = Prepare(connection, transaction, "SELECT sequence_nr FROM projection_offsets WHERE projection_id = @p0", 1))
        {
            readOffset.Parameters[0].Value = projectionId;
            if (await readOffset.ExecuteScalarAsync(cancellation) is { } stored and not DBNull && sequenceNr <= Convert.ToInt64(stored))
                return;
        }

        // Within a batch, too, the later result of a trial wins.
        rows = rows.GroupBy(r => r.TrialId).Select(g => g.Last()).ToList();
        var trialIds = rows.Select(r => r.TrialId).ToList();
        await DeleteAsync(connection, transaction, "epoch_metrics", "trial_id", trialIds, cancellation);
        await DeleteAsync(connection, transaction, "trial_results", "trial_id", trialIds, cancellation);
        await InsertAsync(connection, transaction, "trial_results", ResultsSchema.TrialColumns, "trial_id", rows, cancellation);
        var epochs = rows.SelectMany(row => row.Epochs.Select((epoch, position) => new EpochRecord(row.TrialId, position, epoch))).ToList();
        await InsertAsync(connection, transaction, "epoch_metrics", ResultsSchema.EpochColumns, "trial_id, phase, epoch", epochs, cancellation);
        await InsertAsync(connection, transaction, "sweep_trials", ResultsSchema.MembershipColumns, "sweep_id, trial_id", memberships, cancellation);
        // A sweep submitted again keeps its row, with the spec as last submitted (its margin may have changed).
        var submitted = (sweeps ?? []).GroupBy(s => s.SweepId).Select(g => g.Last()).ToList();
        await DeleteAsync(connection, transaction, "sweeps", "sweep_id", submitted.Select(s => s.SweepId).ToList(), cancellation);
        await InsertAsync(connection, transaction, "sweeps", ResultsSchema.SweepColumns, "sweep_id", submitted, cancellation);

        await using (var setOffset = Prepare(connection, transaction,
            """
            INSERT INTO projection_offsets (projection_id, sequence_nr) VALUES (@p0, @p1)
            ON CONFLICT (projection_id) DO UPDATE SET sequence_nr = excluded.sequence_nr
            WHERE excluded.sequence_nr > projection_offsets.sequence_nr
            """, 2))
        {
            setOffset.Parameters[0].Value = projectionId;
            setOffset.Parameters[1].Value = sequenceNr;
            await setOffset.ExecuteNonQueryAsync(cancellation);
        }

        await transaction.CommitAsync(cancellation);
    }

    /// <summary>The sequence number of the last event the projection stored, or 0 before its first batch.</summary>
    public async Task<long> ReadOffsetAsync(string projectionId, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = Prepare(connection, null, "SELECT sequence_nr FROM projection_offsets WHERE projection_id = @p0", 1);
        command.Parameters[0].Value = projectionId;
        var value = await command.ExecuteScalarAsync(cancellation);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>The stored results matching every filter given, ordered by cell key, then seed (then trial id, so ties are stable).</summary>
    public async Task<IReadOnlyList<ResultRow>> QueryAsync(ResultQuery query, CancellationToken cancellation = default)
    {
        var (joins, where, values) = Filter(query);
        await using var connection = await OpenAsync(cancellation);

        var rows = new List<ResultRow>();
        var epochsByTrial = new Dictionary<string, List<EpochMetrics>>();
        await using (var command = Prepare(connection, null,
            $"SELECT {ResultsSchema.SelectList("r", ResultsSchema.TrialColumns)} FROM trial_results r {joins} {where} " +
            "ORDER BY r.cell_key, r.seed, r.trial_id", values))
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
            {
                var epochs = new List<EpochMetrics>();
                var row = ReadTrial(reader, epochs);
                epochsByTrial.Add(row.TrialId, epochs);
                rows.Add(row);
            }
        }

        // A second query rather than a join, so each trial's columns are read once. Rows and their
        // epochs are committed together, so every row read above has all its epochs here; epochs of
        // trials committed in between have no row in this answer and are skipped.
        await using (var command = Prepare(connection, null,
            $"SELECT {ResultsSchema.SelectList("e", ResultsSchema.EpochColumns)} FROM epoch_metrics e " +
            $"JOIN trial_results r ON r.trial_id = e.trial_id {joins} {where} ORDER BY e.trial_id, e.position", values))
        await using (var reader = await command.ExecuteReaderAsync(cancellation))
        {
            while (await reader.ReadAsync(cancellation))
                if (epochsByTrial.TryGetValue(reader.GetString(reader.GetOrdinal("trial_id")), out var epochs))
                    epochs.Add(ReadEpoch(reader));
        }
        return rows;
    }

    /// <summary>The sweep as last submitted, or null when the results table has not heard of it.</summary>
    public async Task<SweepRow?> ReadSweepAsync(string sweepId, CancellationToken cancellation = default)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = Prepare(connection, null,
            $"SELECT {ResultsSchema.SelectList("s", ResultsSchema.SweepColumns)} FROM sweeps s WHERE s.sweep_id = @p0", [sweepId]);
        await using var reader = await command.ExecuteReaderAsync(cancellation);
        if (!await reader.ReadAsync(cancellation)) return null;
        return new SweepRow(Text(reader, "sweep_id"), Text(reader, "name"), reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("submitted_at")),
            OptionalReal(reader, "equivalence_margin"), Text(reader, "spec_yaml"));
    }

    /// <summary>How many of a sweep's trials have a stored result.</summary>
    public Task<long> CountBySweepAsync(string sweepId, CancellationToken cancellation = default) =>
        CountAsync("SELECT COUNT(*) FROM sweep_trials s JOIN trial_results r ON r.trial_id = s.trial_id WHERE s.sweep_id = @p0", sweepId, cancellation);

    /// <summary>How many trials the sweep lists, with a result or not: 0 for a sweep id the database does not know.</summary>
    public Task<long> CountSweepTrialsAsync(string sweepId, CancellationToken cancellation = default) =>
        CountAsync("SELECT COUNT(*) FROM sweep_trials WHERE sweep_id = @p0", sweepId, cancellation);

    async Task<long> CountAsync(string sql, string sweepId, CancellationToken cancellation)
    {
        await using var connection = await OpenAsync(cancellation);
        await using var command = Prepare(connection, null, sql, 1);
        command.Parameters[0].Value = sweepId;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellation), CultureInfo.InvariantCulture);
    }

    Task<DbConnection> OpenAsync(CancellationToken cancellation) => _dialect.OpenAsync(settings.ConnectionString, cancellation);

    static (string Joins, string Where, object[] Values) Filter(ResultQuery query)
    {
        var conditions = new List<string>();
        var values = new List<object>();
        string Next(object value)
        {
            values.Add(value);
            return ResultsSchema.Parameter(values.Count - 1);
        }

        var joins = "";
        if (query.SweepId is not null)
        {
            joins = "JOIN sweep_trials s ON s.trial_id = r.trial_id";
            conditions.Add($"s.sweep_id = {Next(query.SweepId)}");
        }
        if (query.Arm is { } arm) conditions.Add($"r.arm = {Next(TrialConfig.Format(arm))}");
        if (query.Noise is { } noise) conditions.Add($"r.noise = {Next(noise)}");
        if (query.Status is not null) conditions.Add($"r.status = {Next(query.Status)}");
        var where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        return (joins, where, values.ToArray());
    }

    /// <summary>
    /// Parameters per statement at most. Rows go many to a statement because round trips, not
    /// rows, are what a projection writing thousands of results a second pays for. Not many more:
    /// SQLite finds each named parameter by a linear search, so binding a statement costs the
    /// square of its parameters (8,000 made the projection four times slower than row by row).
    /// </summary>
    const int MaxParameters = 1_000;

    static async Task InsertAsync<T>(DbConnection connection, DbTransaction transaction, string table, IReadOnlyList<Column<T>> columns,
        string conflictColumns, IReadOnlyList<T> items, CancellationToken cancellation)
    {
        foreach (var chunk in items.Chunk(MaxParameters / columns.Count))
        {
            await using var command = Prepare(connection, transaction, ResultsSchema.Insert(table, columns, conflictColumns, chunk.Length),
                chunk.Length * columns.Count);
            for (var r = 0; r < chunk.Length; r++)
                for (var i = 0; i < columns.Count; i++)
                    command.Parameters[r * columns.Count + i].Value = columns[i].Value(chunk[r]) ?? DBNull.Value;
            await command.ExecuteNonQueryAsync(cancellation);
        }
    }

    static async Task DeleteAsync(DbConnection connection, DbTransaction transaction, string table, string key, IReadOnlyList<string> keys,
        CancellationToken cancellation)
    {
        foreach (var chunk in keys.Chunk(MaxParameters))
        {
            var list = string.Join(", ", chunk.Select((_, i) => ResultsSchema.Parameter(i)));
            await using var command = Prepare(connection, transaction, $"DELETE FROM {table} WHERE {key} IN ({list})", chunk);
            await command.ExecuteNonQueryAsync(cancellation);
        }
    }

    static DbCommand Prepare(DbConnection connection, DbTransaction? transaction, string sql, int parameterCount) =>
        Prepare(connection, transaction, sql, new object[parameterCount]);

    /// <summary>A command with parameters @p0, @p1, ... set to <paramref name="values"/> (null as SQL NULL).</summary>
    static DbCommand Prepare(DbConnection connection, DbTransaction? transaction, string sql, object?[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = ResultsSchema.Parameter(i);
            parameter.Value = values[i] ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellation)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        await command.ExecuteNonQueryAsync(cancellation);
    }

    static ResultRow ReadTrial(DbDataReader reader, IReadOnlyList<EpochMetrics> epochs) => new()
    {
        TrialId = Text(reader, "trial_id"),
        Kind = Text(reader, "kind"),
        Arm = Text(reader, "arm"),
        Noise = Real(reader, "noise"),
        NoiseModel = Text(reader, "noise_model"),
        NoiseSeed = OptionalText(reader, "noise_seed") is { } noiseSeed ? ulong.Parse(noiseSeed, CultureInfo.InvariantCulture) : null,
        Seed = Integer(reader, "seed"),
        Dataset = Text(reader, "dataset"),
        DatasetPath = OptionalText(reader, "dataset_path"),
        TrainLimit = OptionalInteger(reader, "train_limit"),
        ValidationFraction = Real(reader, "validation_fraction"),
        ImageSize = OptionalInteger(reader, "image_size"),
        Channels = OptionalInteger(reader, "channels"),
        GroupFile = OptionalText(reader, "group_file"),
        ModelConv1 = Integer(reader, "model_conv1"),
        ModelConv2 = Integer(reader, "model_conv2"),
        ModelDense = Integer(reader, "model_dense"),
        ModelKernel = Integer(reader, "model_kernel"),
        PretrainEpochs = Integer(reader, "pretrain_epochs"),
        FinetuneEpochs = Integer(reader, "finetune_epochs"),
        LearningRate = Real(reader, "learning_rate"),
        BatchSize = Integer(reader, "batch_size"),
        Head = Text(reader, "head"),
        Optimizer = Text(reader, "optimizer"),
        CellKey = Text(reader, "cell_key"),
        PreFinetuneTestAccuracy = OptionalReal(reader, "pre_finetune_test_accuracy"),
        TestAccuracy = Real(reader, "test_accuracy"),
        ImagesPerSecond = Real(reader, "images_per_second"),
        TotalSeconds = Real(reader, "total_seconds"),
        Status = Text(reader, "status"),
        Worker = Text(reader, "worker"),
        StartedAt = reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("started_at")),
        FinishedAt = reader.GetFieldValue<DateTimeOffset>(reader.GetOrdinal("finished_at")),
        ConfigJson = Text(reader, "config_json"),
        ResultJson = Text(reader, "result_json"),
        Epochs = epochs,
    };

    static EpochMetrics ReadEpoch(DbDataReader reader) => new(
        Text(reader, "phase"),
        Integer(reader, "epoch"),
        Real(reader, "train_loss"),
        Real(reader, "train_accuracy"),
        Real(reader, "train_true_accuracy"),
        OptionalReal(reader, "clean_true_accuracy"),
        OptionalReal(reader, "corrupted_true_accuracy"),
        OptionalReal(reader, "corrupted_memorised_accuracy"),
        OptionalReal(reader, "validation_accuracy"),
        OptionalReal(reader, "validation_loss"),
        Real(reader, "seconds"),
        Real(reader, "images_per_second"));

    static string Text(DbDataReader reader, string column) => reader.GetString(reader.GetOrdinal(column));
    static string? OptionalText(DbDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : Text(reader, column);
    static int Integer(DbDataReader reader, string column) => reader.GetInt32(reader.GetOrdinal(column));
    static int? OptionalInteger(DbDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : Integer(reader, column);
    static double Real(DbDataReader reader, string column) => reader.GetDouble(reader.GetOrdinal(column));
    static double? OptionalReal(DbDataReader reader, string column) =>
        reader.IsDBNull(reader.GetOrdinal(column)) ? null : Real(reader, column);
}
