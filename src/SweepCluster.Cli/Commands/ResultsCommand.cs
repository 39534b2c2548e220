using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Reports;
using SweepCluster.Storage;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary>
/// <c>sweep results</c>: reads the trial_results table directly, so it works after the cluster is
/// gone. One row per trial, or with <c>--stats</c> (implied by <c>--group-by</c> and <c>--metric</c>)
/// the statistics of a metric per cell or per group.
/// </summary>
public static class ResultsCommand
{
    public static Command Create()
    {
        var read = new StoredSweep();
        var format = new Option<string>("--format") { Description = "table | csv | json", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var stats = new Option<bool>("--stats") { Description = "Statistics of --metric per cell (trials that differ only by seed) instead of one row per trial" };
        var groupBy = new Option<string[]>("--group-by") { Description = "Statistics per group of trials sharing these fields' values instead of per cell (arm,noise or repeated)" };
        var command = new Command("results", "Print a sweep's results from the database: one row per trial, or statistics per cell or group");
        read.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(stats);
        command.Options.Add(groupBy);
        command.SetAction(async (parse, cancellation) =>
        {
            List<ResultField> fields;
            try
            {
                fields = (parse.GetValue(groupBy) ?? []).SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    .Select(name => StoredSweep.Named("--group-by", () => ResultFields.Setting(name))).Distinct().ToList();
            }
            catch (ResultFieldException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            if (await read.ReadAsync(parse, cancellation) is not { } stored)
                return 2;
            var summarise = parse.GetValue(stats) || fields.Count > 0 || parse.GetResult(read.Metric) is { Implicit: false };
            if (summarise)
                WriteStatistics(stored.Sweep.Statistics(stored.Metric, fields, stored.Bootstrap), parse.GetValue(format)!);
            else
                WriteTrials(stored.Sweep.Trials, parse.GetValue(format)!);
            return 0;
        });
        return command;
    }

    static void WriteTrials(IReadOnlyList<ReportTrial> trials, string format)
    {
        switch (format)
        {
            case "csv":
                Console.Write(ReportTables.TrialsCsv(trials));
                break;
            case "json":
                Console.WriteLine(JsonSerializer.Serialize(trials.Select(t => t.Row.ToTrialResult()), TrialJson.Options));
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded).AddColumns("cell", "seed", "before fine-tune", "test acc", "trial");
                foreach (var t in trials)
                    table.AddRow(Markup.Escape(t.CellLabel), t.Row.Seed.ToString(CultureInfo.InvariantCulture),
                        t.Row.PreFinetuneTestAccuracy is { } b ? $"{b:F4}" : "-", $"{t.Row.TestAccuracy:F4}", t.Row.TrialId[..12]);
                AnsiConsole.Write(table);
                break;
        }
    }

    static void WriteStatistics(IReadOnlyList<GroupStatistics> groups, string format)
    {
        switch (format)
        {
            case "csv":
                Console.Write(ReportTables.StatisticsCsv(groups));
                break;
            case "json":
                Console.WriteLine(ReportTables.StatisticsJson(groups));
                break;
            default:
                // The cell key is for machines; the table names a cell by its label.
                var keys = ReportTables.KeyNames(groups).Where(k => k != "cell_key").ToList();
                var table = new Table().Border(TableBorder.Rounded)
                    .AddColumns(keys.Concat(["n", "mean", "sd", "median", "IQM", "min", "max", "95% t-interval", "95% bootstrap"]).Select(Markup.Escape).ToArray());
                if (groups.Count > 0)
                    table.Title(Markup.Escape(groups[0].Metric.Name));
                foreach (var g in groups)
                {
                    var s = g.Statistics;
                    table.AddRow(g.Group.Key.Where(k => keys.Contains(k.Key)).Select(k => ResultField.Format(k.Value))
                        .Concat([s.N.ToString(CultureInfo.InvariantCulture), ReportWording.Cell(s.Mean), ReportWording.Cell(s.StandardDeviation),
                            ReportWording.Cell(s.Median), ReportWording.Cell(s.Iqm), ReportWording.Cell(s.Min), ReportWording.Cell(s.Max),
                            ReportWording.CellInterval(s.TInterval), ReportWording.CellInterval(s.BootstrapInterval)])
                        .Select(Markup.Escape).ToArray());
                }
                AnsiConsole.Write(table);
                break;
        }
    }
}
