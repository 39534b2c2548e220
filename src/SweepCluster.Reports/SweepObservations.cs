using System.Text.Json;
using SweepCluster.Analysis;
using SweepCluster.Storage;
using SweepCluster.Sweeps;
using SweepCluster.Training.Trials;

namespace SweepCluster.Reports;

/// <summary>One stored trial as reports read it: the row, its configuration and its cell's label.</summary>
public sealed record ReportTrial(ResultRow Row, TrialConfig Config, string CellLabel);

/// <summary>
/// Trials grouped together: a cell (the same configuration up to the seed) or the trials that
/// share the values of chosen fields. <see cref="Key"/> names the group by field and value, as a
/// table's leading columns show it.
/// </summary>
public sealed record TrialGroup(IReadOnlyList<KeyValuePair<string, object?>> Key, string Label, IReadOnlyList<ReportTrial> Trials);

/// <summary>A group's statistics of one metric, over the trials that have a value of it.</summary>
public sealed record GroupStatistics(TrialGroup Group, ResultField Metric, CellStatistics Statistics);

/// <summary>A default comparison with the labels of the two cells it sets against each other.</summary>
public sealed record LabelledComparison(ComparisonResult Result, string A, string B);

/// <summary>A metric per epoch of one phase over a cell's seeds.</summary>
public sealed record LearningCurve(TrialGroup Cell, IReadOnlyList<(int Epoch, CellStatistics Statistics)> Points);

/// <summary>The sweep id names no sweep the database lists.</summary>
public sealed class SweepNotFoundException(string message) : Exception(message);

/// <summary>
/// A sweep's stored trials, read once and filtered, and everything `sweep results` and `sweep
/// report` derive from them: the cells, groups by any field, per-group statistics, the observations
/// the default comparisons pair, and learning curves. The one place that maps trials to those, so
/// both commands group, label and compare alike.
/// </summary>
public sealed class SweepObservations
{
    /// <summary>The fine-tuning phase's name in <c>epoch_metrics</c>, the phase every arm runs.</summary>
    public const string FinetunePhase = "finetune";

    readonly CellLabeller _labeller;

    SweepObservations(string sweepId, long listed, int stored, IReadOnlyList<ResultFilter> filters, IReadOnlyList<ReportTrial> trials, CellLabeller labeller)
    {
        SweepId = sweepId;
        ListedTrials = listed;
        StoredTrials = stored;
        Filters = filters;
        Trials = trials;
        _labeller = labeller;
    }

    public string SweepId { get; }
    /// <summary>How many trials the sweep lists, with a result or not.</summary>
    public long ListedTrials { get; }
    /// <summary>How many of them have a stored result, before the filters.</summary>
    public int StoredTrials { get; }
    public IReadOnlyList<ResultFilter> Filters { get; }
    /// <summary>The stored trials that pass every filter, cell by cell (arms in their declared order, then noise, then label), then by seed.</summary>
    public IReadOnlyList<ReportTrial> Trials { get; }

    /// <summary>
    /// Reads the sweep's results. Failed trials have no row and are simply absent: what completed
    /// is reported. Throws <see cref="SweepNotFoundException"/> when the database lists no such sweep.
    /// </summary>
    public static async Task<SweepObservations> LoadAsync(ResultsStore store, string sweepId, IReadOnlyList<ResultFilter> filters, CancellationToken cancellation)
    {
        var listed = await store.CountSweepTrialsAsync(sweepId, cancellation);
        if (listed == 0)
            throw new SweepNotFoundException($"no sweep '{sweepId}' in the database");
        var rows = await store.QueryAsync(new ResultQuery { SweepId = sweepId }, cancellation);
        var configs = rows.Select(r => JsonSerializer.Deserialize<TrialConfig>(r.ConfigJson, TrialJson.Options)
                                       ?? throw new InvalidDataException($"trial {r.TrialId}: config_json is null")).ToList();
        // Labelled over every stored trial, so a filter never changes a cell's name.
        var labeller = new CellLabeller(configs);
        var trials = rows.Zip(configs, (row, config) => new ReportTrial(row, config, labeller.Label(config)))
            .Where(t => filters.All(f => f.Matches(t.Row)))
            .OrderBy(t => t.Config.Arm).ThenBy(t => t.Config.Noise).ThenBy(t => t.CellLabel, StringComparer.Ordinal).ThenBy(t => t.Row.Seed)
            .ToList();
        return new SweepObservations(sweepId, listed, rows.Count, filters, trials, labeller);
    }

    /// <summary>The cells, in <see cref="Trials"/> order; each keyed by its label and cell key.</summary>
    public IReadOnlyList<TrialGroup> Cells() =>
        Trials.GroupBy(t => t.Row.CellKey)
            .Select(g => new TrialGroup([new("cell", g.First().CellLabel), new("cell_key", g.Key)], g.First().CellLabel, g.ToList()))
            .ToList();

    /// <summary>The trials grouped by the values of <paramref name="fields"/>, in order of those values; no fields: the cells.</summary>
    public IReadOnlyList<TrialGroup> Groups(IReadOnlyList<ResultField> fields)
    {
        if (fields.Count == 0)
            return Cells();
        return Trials.GroupBy(t => string.Join("\u001f", fields.Select(f => ResultField.Format(f.Value(t.Row)))))
            .Select(g =>
            {
                var key = fields.Select(f => KeyValuePair.Create(f.Name, f.Value(g.First().Row))).ToList();
                return new TrialGroup(key, string.Join(" ", key.Select(k => $"{k.Key}={ResultField.Format(k.Value)}")), g.ToList());
            })
            .OrderBy(g => g.Key.Select(k => k.Value).ToList(), KeyComparer.Instance)
            .ToList();
    }

    /// <summary>Statistics of <paramref name="metric"/> per group (<see cref="Groups"/>); trials without a value of it do not count.</summary>
    public IReadOnlyList<GroupStatistics> Statistics(ResultField metric, IReadOnlyList<ResultField> fields, BootstrapOptions bootstrap) =>
        Groups(fields).Select(g => new GroupStatistics(g, metric, CellStatistics.Of(Values(g, metric), bootstrap))).ToList();

    /// <summary>The default comparisons of <paramref name="metric"/> (<see cref="SweepComparisons.Default"/>), each side named by its cell's label.</summary>
    public IReadOnlyList<LabelledComparison> Comparisons(ResultField metric, PairedOptions options)
    {
        var observed = Trials.Where(t => metric.Number(t.Row) is not null).Select(t => (Trial: t, Observation: Observe(t, metric.Number(t.Row)!.Value))).ToList();
        var labels = new Dictionary<(string Config, ArmLevel Level), string>();
        foreach (var (trial, o) in observed)
            labels.TryAdd((o.Config, new ArmLevel(o.Arm, o.Noise) { Settings = o.Settings }), trial.CellLabel);
        return SweepComparisons.Default(observed.Select(p => p.Observation).ToList(), options)
            .Select(c => new LabelledComparison(c, labels[(c.Config, c.A)], labels[(c.Config, c.B)]))
            .ToList();
    }

    /// <summary>
    /// Per cell, the statistics of <paramref name="metric"/> at each epoch of <paramref name="phase"/>
    /// over the seeds that recorded it (t-intervals only: a bootstrap per epoch would cost much and
    /// add little); cells without any such value are left out.
    /// </summary>
    public IReadOnlyList<LearningCurve> LearningCurves(string phase, Func<EpochMetrics, double?> metric) =>
        Cells().Select(cell => new LearningCurve(cell, cell.Trials
                .SelectMany(t => t.Row.Epochs.Where(e => e.Phase == phase))
                .Select(e => (e.Epoch, Value: metric(e)))
                .Where(p => p.Value is not null)
                .GroupBy(p => p.Epoch, p => p.Value!.Value)
                .OrderBy(g => g.Key)
                .Select(g => (g.Key, CellStatistics.Of(g.ToList(), bootstrap: null)))
                .ToList()))
            .Where(c => c.Points.Count > 0)
            .ToList();

    /// <summary>The label of a trial's cell without <paramref name="omitted"/>: the name of a plot's line along that field.</summary>
    public string LabelWithout(ReportTrial trial, Hyperparameter omitted) => _labeller.Label(trial.Config, omitted);

    public static IReadOnlyList<double> Values(TrialGroup group, ResultField metric) =>
        group.Trials.Select(t => metric.Number(t.Row)).OfType<double>().ToList();

    /// <summary>
    /// A trial as the comparisons see it. Fields every arm uses form the configuration that pairs
    /// are made within; the fields only some arms use (noise model, pre-training epochs, feature
    /// widths, head) are the arm's settings, which a pair must agree on where both have them. Fields
    /// a spec cannot vary (dataset, kernel) are the same for every trial of a sweep.
    /// </summary>
    static Observation Observe(ReportTrial trial, double value)
    {
        var config = trial.Config;
        var shared = Hyperparameters.All.Where(p => p.AppliesToEveryArm).Select(p => $"{p.Name}={p.Describe(config)}");
        var settings = Hyperparameters.All
            .Where(p => !p.AppliesToEveryArm && p != Hyperparameters.Noise && p.AppliesTo(config.Arm))
            .Select(p => KeyValuePair.Create(p.Name, p.Describe(config)));
        return new Observation(TrialConfig.Format(config.Arm), config.Noise, string.Join(" ", shared), config.Seed, value)
        {
            Settings = new ArmSettings(settings),
        };
    }

    /// <summary>Orders group keys field by field: numbers as numbers, text in ordinal order, null first.</summary>
    sealed class KeyComparer : IComparer<IReadOnlyList<object?>>
    {
        public static readonly KeyComparer Instance = new();

        public int Compare(IReadOnlyList<object?>? x, IReadOnlyList<object?>? y)
        {
            for (var i = 0; i < Math.Min(x!.Count, y!.Count); i++)
            {
                var order = (x[i], y[i]) switch
                {
                    (null, null) => 0,
                    (null, _) => -1,
                    (_, null) => 1,
                    (string a, string b) => string.CompareOrdinal(a, b),
                    (IComparable a, var b) when a.GetType() == b.GetType() => a.CompareTo(b),
                    var (a, b) => string.CompareOrdinal(ResultField.Format(a), ResultField.Format(b)),
                };
                if (order != 0)
                    return order;
            }
            return x.Count.CompareTo(y.Count);
        }
    }
}
