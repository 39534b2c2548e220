using Spectre.Console;
using Spectre.Console.Rendering;
using SweepCluster.Analysis;
using SweepCluster.Cluster.Protocol;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Commands;

/// <summary>How the console shows a sweep: live progress while it runs, the per-cell table when it is done.</summary>
public static class SweepView
{
    /// <summary>Overall progress, each cell ("true, p=0.5: 173/200 seeds"), the workers and the ETA.</summary>
    public static IRenderable Progress(SweepStatusReply status)
    {
        var s = status.Summary!;
        var done = s.Completed + s.Failed;
        var eta = status.SecondsRemaining is { } seconds ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString() : "-";
        var header = new Markup($"[bold]{Markup.Escape(s.SweepId)}[/] {s.State.ToString().ToLowerInvariant()}: " +
                                $"{done}/{s.Trials} trials ({s.Completed} completed, {s.Failed} failed, {s.Running} running)  ETA {eta}");
        var overall = new BreakdownChart().Width(60)
            .AddItem("completed", s.Completed, Color.Green)
            .AddItem("failed", s.Failed, Color.Red)
            .AddItem("running", s.Running, Color.Yellow)
            .AddItem("waiting", Math.Max(0, s.Trials - done - s.Running), Color.Grey);

        var cells = new Table().Border(TableBorder.Rounded).Title("cells").AddColumns("cell", "seeds done", "failed", "mean test acc", "95% half-width");
        foreach (var c in status.Cells)
            cells.AddRow(Markup.Escape(c.Label), $"{c.Completed}/{c.Trials}", c.Failed.ToString(),
                c.MeanTestAccuracy is { } m ? $"{m:F4}" : "-", c.HalfWidth is { } h ? $"{h:F4}" : "-");

        var workers = new Table().Border(TableBorder.Rounded).Title("workers").AddColumns("worker", "trial", "phase", "progress", "img/s");
        foreach (var w in status.Workers)
            workers.AddRow(Markup.Escape(w.WorkerId),
                w.TrialId is null ? "[grey]idle[/]" : Markup.Escape($"{w.CellLabel} seed {w.Seed}"),
                w.Phase is null ? "-" : $"{w.Phase} {w.Epoch}/{w.Epochs}",
                w.TrialId is null ? "-" : $"{w.Fraction:P0}",
                w.ImagesPerSecond > 0 ? $"{w.ImagesPerSecond:F0}" : "-");

        var parts = new List<IRenderable> { header, overall, cells, workers };
        if (status.Failures.Count > 0)
            parts.Add(new Markup("[red]failures:[/]\n" + Markup.Escape(string.Join("\n", status.Failures))));
        return new Rows(parts);
    }

    /// <summary>One row per cell of the recorded results: n, mean, standard deviation, min and max.</summary>
    /// <param name="cells">The sweep's cells in spec order, for their labels and order.</param>
    public static Table Cells(IReadOnlyList<ResultRow> rows, IReadOnlyList<CellProgress> cells)
    {
        var order = cells.Select((c, i) => (c.CellKey, i)).ToDictionary(p => p.CellKey, p => p.i);
        var labels = cells.ToDictionary(c => c.CellKey, c => c.Label);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("cell", "n", "test acc mean", "sd", "min", "max", "before fine-tune");
        foreach (var cell in rows.GroupBy(r => r.CellKey).OrderBy(g => order.GetValueOrDefault(g.Key, int.MaxValue)))
        {
            // No bootstrap: the table shows no interval, and sweep report has the full statistics.
            var accuracy = CellStatistics.Of(cell.Select(r => r.TestAccuracy).ToList(), bootstrap: null);
            var before = cell.Where(r => r.PreFinetuneTestAccuracy is not null).Select(r => r.PreFinetuneTestAccuracy!.Value).ToList();
            table.AddRow(Markup.Escape(labels.GetValueOrDefault(cell.Key, cell.Key[..12])), accuracy.N.ToString(), $"{accuracy.Mean:F4}",
                accuracy.StandardDeviation is { } sd ? $"{sd:F4}" : "-", $"{accuracy.Min:F4}", $"{accuracy.Max:F4}",
                before.Count > 0 ? $"{before.Average():F4}" : "-");
        }
        return table;
    }
}
