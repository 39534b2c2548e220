using System.Globalization;
using System.Text;
using SweepCluster.Analysis;
using SweepCluster.Storage;

namespace SweepCluster.Reports;

/// <summary>What a report summarises and how.</summary>
public sealed record ReportOptions
{
    public ResultField Metric { get; init; } = ResultFields.TestAccuracy;
    /// <summary>The equivalence margin of the TOST, in the metric's units; null: no equivalence test.</summary>
    public double? Margin { get; init; }
    /// <summary>Where <see cref="Margin"/> came from, as the report says it: "the spec's `equivalence_margin`", "`--margin`".</summary>
    public string MarginSource { get; init; } = "`--margin`";
    public BootstrapOptions Bootstrap { get; init; } = BootstrapOptions.Default;
    /// <summary>The 95% half-width the per-cell seed estimate aims at, in the metric's units (0.002: a fifth of a point of accuracy).</summary>
    public double TargetHalfWidth { get; init; } = 0.002;
}

/// <summary>
/// `sweep report`: from the stored trials alone, writes report.md (cells, comparisons in words,
/// figures), cells.csv, trials.csv, trials.jsonl and four PNG figures into one folder.
/// </summary>
public static class SweepReport
{
    public const string Markdown = "report.md";
    public const string CellsCsv = "cells.csv";
    public const string TrialsCsv = "trials.csv";
    public const string TrialsJsonLines = "trials.jsonl";
    public const string MetricAgainstNoisePng = "metric-vs-noise.png";
    public const string DistributionsPng = "distributions.png";
    public const string LearningCurvesPng = "learning-curves.png";
    public const string PairedDifferencesPng = "paired-differences.png";

    /// <summary>The per-epoch value the learning curves show: accuracy on the validation split, held out from training.</summary>
    public const string CurveMetric = "validation_accuracy";

    /// <summary>Writes every file into <paramref name="directory"/> (created if missing) and returns their paths.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(SweepObservations sweep, ReportOptions options, string directory, CancellationToken cancellation)
    {
        Directory.CreateDirectory(directory);
        var cells = sweep.Statistics(options.Metric, [], options.Bootstrap);
        var paired = new PairedOptions { Bootstrap = options.Bootstrap, EquivalenceMargin = options.Margin };
        var comparisons = sweep.Comparisons(options.Metric, paired);
        var curves = sweep.LearningCurves(SweepObservations.FinetunePhase, e => e.ValidationAccuracy);

        string Path(string name) => System.IO.Path.Combine(directory, name);
        await File.WriteAllTextAsync(Path(CellsCsv), ReportTables.StatisticsCsv(cells), cancellation);
        await File.WriteAllTextAsync(Path(TrialsCsv), ReportTables.TrialsCsv(sweep.Trials), cancellation);
        await File.WriteAllTextAsync(Path(TrialsJsonLines), ReportTables.TrialsJsonLines(sweep.Trials), cancellation);
        ReportPlots.MetricAgainstNoise(sweep, cells, options.Metric, Path(MetricAgainstNoisePng));
        ReportPlots.Distributions(cells, Path(DistributionsPng));
        ReportPlots.LearningCurves(curves, CurveMetric, Path(LearningCurvesPng));
        ReportPlots.PairedDifferences(comparisons, options.Metric.Name, options.Margin, Path(PairedDifferencesPng));
        await File.WriteAllTextAsync(Path(Markdown), Text(sweep, options, cells, comparisons), cancellation);
        return [Path(Markdown), Path(CellsCsv), Path(TrialsCsv), Path(TrialsJsonLines),
            Path(MetricAgainstNoisePng), Path(DistributionsPng), Path(LearningCurvesPng), Path(PairedDifferencesPng)];
    }

    /// <summary>The text of report.md.</summary>
    public static string Text(SweepObservations sweep, ReportOptions options, IReadOnlyList<GroupStatistics> cells, IReadOnlyList<LabelledComparison> comparisons)
    {
        var metric = options.Metric.Name;
        var alpha = 1 - Interval.Level;
        var md = new StringBuilder();
        md.Append($"# Sweep {sweep.SweepId}\n\n");
        var missing = sweep.ListedTrials - sweep.StoredTrials;
        md.Append($"{sweep.StoredTrials} of the sweep's {sweep.ListedTrials} trials have a result");
        md.Append(missing == 0 ? ".\n" : $"; the other {missing} failed or have not run yet and are not part of this report.\n");
        if (sweep.Filters.Count > 0)
            md.Append($"Only trials with {string.Join(" and ", sweep.Filters.Select(f => $"`{f}`"))}: {sweep.Trials.Count} of them.\n");
        md.Append($"\nMetric: `{metric}`. Every interval is 95%; bootstrap intervals are percentile intervals of " +
                  $"{options.Bootstrap.Resamples.ToString("N0", CultureInfo.InvariantCulture)} resamples from seed {options.Bootstrap.Seed}, " +
                  "so the same database gives the same report.\n");

        md.Append("\n## Cells\n\nTrials that differ only by seed. The t-interval and the bootstrap interval should agree; " +
                  "a marked difference points at skew or outliers. The last column is how many seeds would make the t-interval " +
                  $"±{ReportWording.Number(options.TargetHalfWidth)} wide at the spread seen so far.\n\n");
        md.Append($"| cell | n | mean | sd | median | IQM | min | max | 95% t-interval | 95% bootstrap | seeds for ±{ReportWording.Number(options.TargetHalfWidth)} |\n");
        md.Append("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|\n");
        foreach (var c in cells)
        {
            var s = c.Statistics;
            var seeds = s.StandardDeviation is { } sd ? SeedBudget.SeedsForHalfWidth(sd, options.TargetHalfWidth)?.ToString(CultureInfo.InvariantCulture) ?? "> 1,000,000" : "-";
            md.Append($"| {Escape(c.Group.Label)} | {s.N} | {ReportWording.Cell(s.Mean)} | {ReportWording.Cell(s.StandardDeviation)} | " +
                      $"{ReportWording.Cell(s.Median)} | {ReportWording.Cell(s.Iqm)} | {ReportWording.Cell(s.Min)} | {ReportWording.Cell(s.Max)} | " +
                      $"{ReportWording.CellInterval(s.TInterval)} | {ReportWording.CellInterval(s.BootstrapInterval)} | {seeds} |\n");
        }

        md.Append("\n## Comparisons\n\n");
        if (comparisons.Count == 0)
            md.Append("No default comparison applies: there is no `random-frozen` control, nor `noisy` and `true` arms at the same settings, " +
                      "sharing seeds.\n");
        else
        {
            md.Append($"Each arm against `random-frozen` (features never trained), and each `noisy` level against `true`, at the same " +
                      "settings, paired on the seeds both ran: differences are A − B. The intervals are bootstrap intervals of the mean " +
                      $"paired difference; p-values are Holm-adjusted across the {comparisons.Count} comparisons of this report " +
                      "(paired t-tests; the Wilcoxon signed-rank p-values as a family of their own).");
            md.Append(options.Margin is { } margin
                ? $" Equivalence is tested with TOST at a margin of ±{ReportWording.Number(margin)} ({options.MarginSource}).\n\n"
                : " No equivalence margin was given (`equivalence_margin` in the spec, or `--margin`), so no claim that two arms are the same is made.\n\n");
            foreach (var c in comparisons)
                md.Append($"- {ReportWording.Sentence(c, alpha)}\n");
            md.Append("\n| A | B | paired seeds | mean A − B | 95% bootstrap | 95% t-interval | t-test p | Holm p | Wilcoxon p | Holm Wilcoxon p | d_z | P(A > B) | TOST p |\n");
            md.Append("|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
            foreach (var c in comparisons)
            {
                var p = c.Result.Paired;
                md.Append($"| {Escape(c.A)} | {Escape(c.B)} | {p.SharedSeeds} | {ReportWording.Cell(p.MeanDifference)} | " +
                          $"{ReportWording.CellInterval(p.BootstrapInterval)} | {ReportWording.CellInterval(p.TInterval)} | {ReportWording.P(p.TTestP)} | " +
                          $"{ReportWording.P(c.Result.HolmTTestP)} | {ReportWording.P(p.Wilcoxon?.P)} | {ReportWording.P(c.Result.HolmWilcoxonP)} | " +
                          $"{ReportWording.Cell(p.EffectSizeDz)} | {ReportWording.Cell(p.ProbabilityABeatsB)} | {ReportWording.P(p.Equivalence?.P)} |\n");
            }
        }

        md.Append($"\n## Figures\n\n");
        md.Append($"![{metric} against label noise]({MetricAgainstNoisePng})\n\n");
        md.Append($"![{metric} over seeds, per cell]({DistributionsPng})\n\n");
        md.Append($"![{CurveMetric} per fine-tuning epoch]({LearningCurvesPng})\n\n");
        md.Append($"![paired differences of {metric}]({PairedDifferencesPng})\n");

        md.Append($"\n## Files\n\n- `{CellsCsv}`: the cells table with every number unrounded.\n" +
                  $"- `{TrialsCsv}`, `{TrialsJsonLines}`: one row per trial, every configuration field in its own column, the metrics and how it ran.\n");
        return md.ToString();
    }

    static string Escape(string text) => text.Replace("|", "\\|");
}
