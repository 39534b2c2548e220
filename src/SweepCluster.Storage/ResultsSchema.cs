using System.Globalization;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage;

/// <summary>A column: its name, its kind of value, whether it may be null, and how to read its value from <typeparamref name="T"/>.</summary>
sealed record Column<T>(string Name, ColumnType Type, bool Nullable, Func<T, object?> Value, string? Default = null);

/// <summary>One epoch as <c>epoch_metrics</c> holds it; <see cref="Position"/> keeps training order, which phase names do not sort into.</summary>
readonly record struct EpochRecord(string TrialId, int Position, EpochMetrics Metrics);

/// <summary>
/// The tables, declared once: the DDL, the inserts and the queries are all generated from these
/// lists, so a column cannot be added to one and forgotten in another.
/// </summary>
static class ResultsSchema
{
    public static readonly IReadOnlyList<Column<ResultRow>> TrialColumns =
    [
        new("trial_id", ColumnType.Text, false, r => r.TrialId),
        // A default, so rows written before a kind existed, or by hand, read as training trials.
        new("kind", ColumnType.Text, false, r => r.Kind, Default: $"'{ResultRow.TrainKind}'"),
        new("arm", ColumnType.Text, false, r => r.Arm),
        new("noise", ColumnType.Real, false, r => r.Noise),
        new("noise_model", ColumnType.Text, false, r => r.NoiseModel),
        // Text: a ulong does not fit the signed 64-bit integers both databases have.
        new("noise_seed", ColumnType.Text, true, r => r.NoiseSeed?.ToString(CultureInfo.InvariantCulture)),
        new("seed", ColumnType.Integer, false, r => r.Seed),
        new("dataset", ColumnType.Text, false, r => r.Dataset),
        new("dataset_path", ColumnType.Text, true, r => r.DatasetPath),
        new("train_limit", ColumnType.Integer, true, r => r.TrainLimit),
        new("validation_fraction", ColumnType.Real, false, r => r.ValidationFraction),
        new("image_size", ColumnType.Integer, true, r => r.ImageSize),
        new("channels", ColumnType.Integer, true, r => r.Channels),
        new("group_file", ColumnType.Text, true, r => r.GroupFile),
        new("model_conv1", ColumnType.Integer, false, r => r.ModelConv1),
        new("model_conv2", ColumnType.Integer, false, r => r.ModelConv2),
        new("model_dense", ColumnType.Integer, false, r => r.ModelDense),
        new("model_kernel", ColumnType.Integer, false, r => r.ModelKernel),
        new("pretrain_epochs", ColumnType.Integer, false, r => r.PretrainEpochs),
        new("finetune_epochs", ColumnType.Integer, false, r => r.FinetuneEpochs),
        new("learning_rate", ColumnType.Real, false, r => r.LearningRate),
        new("batch_size", ColumnType.Integer, false, r => r.BatchSize),
        new("head", ColumnType.Text, false, r => r.Head),
        new("optimizer", ColumnType.Text, false, r => r.Optimizer),
        new("cell_key", ColumnType.Text, false, r => r.CellKey),
        new("pre_finetune_test_accuracy", ColumnType.Real, true, r => r.PreFinetuneTestAccuracy),
        new("test_accuracy", ColumnType.Real, false, r => r.TestAccuracy),
        new("images_per_second", ColumnType.Real, false, r => r.ImagesPerSecond),
        new("total_seconds", ColumnType.Real, false, r => r.TotalSeconds),
        new("status", ColumnType.Text, false, r => r.Status),
        new("worker", ColumnType.Text, false, r => r.Worker),
        // UTC: PostgreSQL's timestamptz takes only offset zero from Npgsql, and SQLite's text then sorts in time order.
        new("started_at", ColumnType.Timestamp, false, r => r.StartedAt.ToUniversalTime()),
        new("finished_at", ColumnType.Timestamp, false, r => r.FinishedAt.ToUniversalTime()),
        new("config_json", ColumnType.Text, false, r => r.ConfigJson),
        new("result_json", ColumnType.Text, false, r => r.ResultJson),
    ];

    public static readonly IReadOnlyList<Column<EpochRecord>> EpochColumns =
    [
        new("trial_id", ColumnType.Text, false, e => e.TrialId),
        new("phase", ColumnType.Text, false, e => e.Metrics.Phase),
        new("epoch", ColumnType.Integer, false, e => e.Metrics.Epoch),
        new("position", ColumnType.Integer, false, e => e.Position),
        new("train_loss", ColumnType.Real, false, e => e.Metrics.TrainLoss),
        new("train_accuracy", ColumnType.Real, false, e => e.Metrics.TrainAccuracy),
        new("train_true_accuracy", ColumnType.Real, false, e => e.Metrics.TrainTrueAccuracy),
        new("clean_true_accuracy", ColumnType.Real, true, e => e.Metrics.CleanTrueAccuracy),
        new("corrupted_true_accuracy", ColumnType.Real, true, e => e.Metrics.CorruptedTrueAccuracy),
        new("corrupted_memorised_accuracy", ColumnType.Real, true, e => e.Metrics.CorruptedMemorisedAccuracy),
        new("validation_accuracy", ColumnType.Real, true, e => e.Metrics.ValidationAccuracy),
        new("validation_loss", ColumnType.Real, true, e => e.Metrics.ValidationLoss),
        new("seconds", ColumnType.Real, false, e => e.Metrics.Seconds),
        new("images_per_second", ColumnType.Real, false, e => e.Metrics.ImagesPerSecond),
    ];

    public static readonly IReadOnlyList<Column<SweepMembership>> MembershipColumns =
    [
        new("sweep_id", ColumnType.Text, false, m => m.SweepId),
        new("trial_id", ColumnType.Text, false, m => m.TrialId),
    ];

    public static readonly IReadOnlyList<Column<SweepRow>> SweepColumns =
    [
        new("sweep_id", ColumnType.Text, false, s => s.SweepId),
        new("name", ColumnType.Text, false, s => s.Name),
        new("submitted_at", ColumnType.Timestamp, false, s => s.SubmittedAt.ToUniversalTime()),
        new("equivalence_margin", ColumnType.Real, true, s => s.EquivalenceMargin),
        new("spec_yaml", ColumnType.Text, false, s => s.SpecYaml),
    ];

    public static IEnumerable<string> CreateStatements(SqlDialect dialect) =>
    [
        CreateTable(dialect, "trial_results", TrialColumns, "PRIMARY KEY (trial_id)"),
        "CREATE INDEX IF NOT EXISTS trial_results_by_cell ON trial_results (cell_key, seed)",
        CreateTable(dialect, "epoch_metrics", EpochColumns,
            "PRIMARY KEY (trial_id, phase, epoch)",
            "FOREIGN KEY (trial_id) REFERENCES trial_results (trial_id)"),
        // No foreign key to trial_results: a sweep may list a trial before its result exists.
        CreateTable(dialect, "sweep_trials", MembershipColumns, "PRIMARY KEY (sweep_id, trial_id)"),
        CreateTable(dialect, "sweeps", SweepColumns, "PRIMARY KEY (sweep_id)"),
        "CREATE INDEX IF NOT EXISTS sweep_trials_by_trial ON sweep_trials (trial_id)",
        $"""
        CREATE TABLE IF NOT EXISTS projection_offsets (
            projection_id {dialect.TypeName(ColumnType.Text)} NOT NULL PRIMARY KEY,
            sequence_nr {dialect.TypeName(ColumnType.BigInteger)} NOT NULL)
        """,
    ];

    /// <summary>An insert of <paramref name="rows"/> rows in one statement, parameters @p0, @p1, ... row after row.</summary>
    public static string Insert<T>(string table, IReadOnlyList<Column<T>> columns, string conflictColumns, int rows) =>
        $"INSERT INTO {table} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES " +
        string.Join(", ", Enumerable.Range(0, rows).Select(r => $"({string.Join(", ", columns.Select((_, i) => Parameter(r * columns.Count + i)))})")) +
        $" ON CONFLICT ({conflictColumns}) DO NOTHING";

    public static string Parameter(int index) => "@p" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Aliased explicitly: SQLite leaves the name of an unaliased <c>r.column</c> unspecified.</summary>
    public static string SelectList<T>(string alias, IReadOnlyList<Column<T>> columns) =>
        string.Join(", ", columns.Select(c => $"{alias}.{c.Name} AS {c.Name}"));

    static string CreateTable<T>(SqlDialect dialect, string table, IReadOnlyList<Column<T>> columns, params string[] constraints)
    {
        var definitions = columns
            .Select(c => $"{c.Name} {dialect.TypeName(c.Type)}{(c.Nullable ? "" : " NOT NULL")}{(c.Default is null ? "" : " DEFAULT " + c.Default)}")
            .Concat(constraints);
        return $"CREATE TABLE IF NOT EXISTS {table} (\n    {string.Join(",\n    ", definitions)})";
    }
}
