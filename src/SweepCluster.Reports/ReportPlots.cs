using ScottPlot;
using SweepCluster.Analysis;
using SweepCluster.Storage;
using SweepCluster.Sweeps;

namespace SweepCluster.Reports;

/// <summary>
/// The report's figures as PNG files, drawn with ScottPlot. Every interval drawn is a 95% one, as
/// everywhere in the analysis.
/// </summary>
public static class ReportPlots
{
    /// <summary>Every figure is this many pixels wide and high: readable in a Markdown viewer at its natural size, and the same for every report so figures can be compared side by side.</summary>
    public const int Width = 800;
    public const int Height = 500;

    /// <summary>
    /// Whether Skia finds a font with glyphs. SkiaSharp's Linux library reads the system's font
    /// folders; with none installed (slim container images) it falls back to an empty typeface and
    /// figures still render, but without a single letter.
    /// </summary>
    public static bool FontsAvailable => SkiaSharp.SKTypeface.Default.GlyphCount > 0;

    /// <summary>
    /// The metric against the noise fraction: one line per noisy series (its cells along p) with a
    /// band of the t-intervals, and each arm without noise as a dashed horizontal line with its band
    /// across the same range.
    /// </summary>
    public static void MetricAgainstNoise(SweepObservations sweep, IReadOnlyList<GroupStatistics> cells, ResultField metric, string path)
    {
        var plot = NewPlot($"{metric.Name} against label noise (mean, 95% t-interval)", "noise fraction p of the noisy arm", metric.Name);
        var present = cells.Where(c => c.Statistics.N > 0).ToList();
        var noisy = present.Where(c => Hyperparameters.Noise.AppliesTo(c.Group.Trials[0].Config.Arm)).ToList();
        var (left, right) = noisy.Count > 0
            ? (noisy.Min(c => c.Group.Trials[0].Config.Noise), noisy.Max(c => c.Group.Trials[0].Config.Noise))
            : (0.0, 1.0);
        if (left == right)
            (left, right) = (Math.Min(left, 0), Math.Max(right, 1));
        var series = present.GroupBy(c => sweep.LabelWithout(c.Group.Trials[0], Hyperparameters.Noise)).ToList();
        for (var i = 0; i < series.Count; i++)
        {
            var color = plot.Add.Palette.GetColor(i);
            var points = series[i].OrderBy(c => c.Group.Trials[0].Config.Noise).ToList();
            if (Hyperparameters.Noise.AppliesTo(points[0].Group.Trials[0].Config.Arm))
            {
                AddSeries(plot, points.Select(c => c.Group.Trials[0].Config.Noise).ToArray(), points.Select(c => c.Statistics).ToList(), color, series[i].Key);
                continue;
            }
            // An arm without noise is one cell: the same level at every p.
            var s = points[0].Statistics;
            AddSeries(plot, [left, right], [s, s], color, series[i].Key, LinePattern.Dashed);
        }
        Finish(plot, path, present.Count == 0 ? $"no trial has {metric.Name}" : null);
    }

    /// <summary>Per cell, a horizontal box of the seeds' values (quartiles and median; whiskers at min and max) with every seed as a dot.</summary>
    public static void Distributions(IReadOnlyList<GroupStatistics> cells, string path)
    {
        var metric = cells.Count > 0 ? cells[0].Metric.Name : "metric";
        var plot = NewPlot($"{metric} over seeds (box: quartiles, median; whiskers: min, max; dots: seeds)", metric, "");
        var present = cells.Where(c => c.Statistics.N > 0).ToList();
        for (var i = 0; i < present.Count; i++)
        {
            var s = present[i].Statistics;
            var y = present.Count - 1 - i;
            var color = plot.Add.Palette.GetColor(i);
            // Drawn from a rectangle and lines: ScottPlot 5.1's own boxes are vertical only.
            var box = plot.Add.Rectangle(s.LowerQuartile!.Value, s.UpperQuartile!.Value, y - 0.3, y + 0.3);
            box.FillColor = color.WithAlpha(0.3);
            box.LineColor = color;
            foreach (var (x1, y1, x2, y2) in new[]
                     {
                         (s.Median!.Value, y - 0.3, s.Median.Value, y + 0.3),
                         (s.Min!.Value, (double)y, s.LowerQuartile.Value, (double)y),
                         (s.UpperQuartile.Value, (double)y, s.Max!.Value, (double)y),
                         (s.Min.Value, y - 0.15, s.Min.Value, y + 0.15),
                         (s.Max.Value, y - 0.15, s.Max.Value, y + 0.15),
                     })
            {
                var line = plot.Add.Line(x1, y1, x2, y2);
                line.LineColor = color;
                line.LineWidth = 1.5f;
            }
            var values = SweepObservations.Values(present[i].Group, present[i].Metric).ToArray();
            plot.Add.Markers(values, Enumerable.Repeat((double)y, values.Length).ToArray(), MarkerShape.FilledCircle, 4, color.WithAlpha(0.6));
        }
        LabelRows(plot, present.Select(c => c.Group.Label).ToList());
        Finish(plot, path, present.Count == 0 ? $"no trial has {metric}" : null);
    }

    /// <summary>Per cell, the mean of a per-epoch metric during fine-tuning with its t-interval at each epoch.</summary>
    public static void LearningCurves(IReadOnlyList<LearningCurve> curves, string metricName, string path)
    {
        var plot = NewPlot($"fine-tuning: {metricName} per epoch (mean, 95% t-interval)", "fine-tuning epoch", metricName);
        for (var i = 0; i < curves.Count; i++)
            AddSeries(plot, curves[i].Points.Select(p => (double)p.Epoch).ToArray(), curves[i].Points.Select(p => p.Statistics).ToList(),
                plot.Add.Palette.GetColor(i), curves[i].Cell.Label);
        if (curves.Count > 0)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        Finish(plot, path, curves.Count == 0 ? $"no trial recorded {metricName} while fine-tuning" : null);
    }

    /// <summary>A forest plot: each comparison's mean paired difference A - B with its bootstrap interval, a line at 0 and, given a margin, at ±margin.</summary>
    public static void PairedDifferences(IReadOnlyList<LabelledComparison> comparisons, string metricName, double? margin, string path)
    {
        var plot = NewPlot("paired differences A - B (mean, 95% bootstrap interval)", $"difference in {metricName}", "");
        var shown = comparisons.Where(c => c.Result.Paired.MeanDifference is not null).ToList();
        plot.Add.VerticalLine(0, 1, Colors.Black);
        if (margin is { } m)
        {
            plot.Add.VerticalLine(-m, 1, Colors.Gray, LinePattern.Dashed);
            plot.Add.VerticalLine(m, 1, Colors.Gray, LinePattern.Dashed);
        }
        for (var i = 0; i < shown.Count; i++)
        {
            var paired = shown[i].Result.Paired;
            var y = shown.Count - 1 - i;
            var mean = paired.MeanDifference!.Value;
            var color = plot.Add.Palette.GetColor(0);
            if (paired.BootstrapInterval is { } ci)
            {
                var bar = new ScottPlot.Plottables.ErrorBar([mean], [(double)y], [ci.Upper - mean], [mean - ci.Lower], [0.0], [0.0]) { LineColor = color, LineWidth = 2 };
                plot.Add.Plottable(bar);
            }
            plot.Add.Marker(mean, y, MarkerShape.FilledSquare, 8, color);
        }
        LabelRows(plot, shown.Select(c => $"{c.A} - {c.B}").ToList());
        Finish(plot, path, shown.Count == 0 ? "no comparison: no two arms share seeds" : null);
    }

    static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Title(title, size: 14);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    /// <summary>A line of means with markers and a band of t-intervals; a single point gets an error bar, since a band needs two.</summary>
    static void AddSeries(Plot plot, double[] xs, IReadOnlyList<CellStatistics> points, Color color, string label, LinePattern? pattern = null)
    {
        var means = points.Select(p => p.Mean!.Value).ToArray();
        var lows = points.Select(p => p.TInterval?.Lower ?? p.Mean!.Value).ToArray();
        var highs = points.Select(p => p.TInterval?.Upper ?? p.Mean!.Value).ToArray();
        if (xs.Length > 1)
        {
            var band = plot.Add.FillY(xs, lows, highs);
            band.FillColor = color.WithAlpha(0.2);
            band.LineWidth = 0;
        }
        else
        {
            plot.Add.ErrorBar([xs[0]], [means[0]], [highs[0] - means[0]]).Color = color;
        }
        var line = plot.Add.Scatter(xs, means, color);
        line.LegendText = label;
        line.LinePattern = pattern ?? LinePattern.Solid;
        line.MarkerSize = pattern is null ? 6 : 0;
    }

    /// <summary>Names the rows of a horizontal chart (row 0 at the top) on the left axis.</summary>
    static void LabelRows(Plot plot, IReadOnlyList<string> labels)
    {
        var positions = Enumerable.Range(0, labels.Count).Select(i => (double)(labels.Count - 1 - i)).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, labels.ToArray());
        plot.Axes.Left.MajorTickStyle.Length = 0;
        if (labels.Count > 0)
            plot.Axes.SetLimitsY(-0.75, labels.Count - 0.25);
    }

    /// <summary>Shows the legend where there is one, writes a note instead of data where there is none, and saves at the fixed size.</summary>
    static void Finish(Plot plot, string path, string? emptyNote)
    {
        if (emptyNote is not null)
            plot.Add.Annotation(emptyNote);
        if (plot.GetPlottables().Any(p => p.LegendItems.Any(item => !string.IsNullOrEmpty(item.LabelText))))
            plot.ShowLegend(Edge.Right); // beside the data, which it would otherwise cover somewhere
        plot.SavePng(path, Width, Height);
    }
}
