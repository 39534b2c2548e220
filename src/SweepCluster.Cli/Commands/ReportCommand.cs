using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using SweepCluster.Reports;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep report</c>: report.md, CSV and JSON lines tables and figures of a sweep, from the database alone.</summary>
public static class ReportCommand
{
    public static Command Create()
    {
        var read = new StoredSweep();
        var output = new Option<string>("--out") { Description = "Folder to write the report into (created if missing)", Required = true };
        var margin = new Option<string?>("--margin")
        {
            Description = "Equivalence margin in the metric's units (0.005: half a point of accuracy); adds TOST to every comparison. Default: the spec's equivalence_margin",
        };
        var target = new Option<string>("--target-half-width")
        {
            Description = "Half-width of the 95% interval the per-cell seed estimate aims at, in the metric's units",
            DefaultValueFactory = _ => new ReportOptions().TargetHalfWidth.ToString(CultureInfo.InvariantCulture),
        };
        var command = new Command("report", "Write a sweep's report (cells, comparisons in words, tables, figures) from the database");
        read.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(margin);
        command.Options.Add(target);
        command.SetAction(async (parse, cancellation) =>
        {
            double? equivalence;
            double halfWidth;
            try
            {
                equivalence = parse.GetValue(margin) is { } text ? StoredSweep.Named("--margin", () => StoredSweep.Positive(text)) : null;
                halfWidth = StoredSweep.Named("--target-half-width", () => StoredSweep.Positive(parse.GetValue(target)!));
            }
            catch (ResultFieldException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            if (await read.ReadAsync(parse, cancellation) is not { } stored)
                return 2;
            if (!ReportPlots.FontsAvailable)
                Console.Error.WriteLine("warning: no fonts installed, so the figures will have no text (on Debian or Ubuntu: apt-get install fonts-dejavu-core)");
            var source = "`--margin`";
            if (equivalence is null && await new ResultsStore(stored.Database).ReadSweepAsync(stored.Sweep.SweepId, cancellation) is { EquivalenceMargin: { } specMargin })
                (equivalence, source) = (specMargin, "the spec's `equivalence_margin`");
            var options = new ReportOptions
            {
                Metric = stored.Metric, Margin = equivalence, MarginSource = source, Bootstrap = stored.Bootstrap, TargetHalfWidth = halfWidth,
            };
            var files = await SweepReport.WriteAsync(stored.Sweep, options, parse.GetValue(output)!, cancellation);
            AnsiConsole.MarkupLine($"sweep [bold]{Markup.Escape(stored.Sweep.SweepId)}[/]: {stored.Sweep.Trials.Count} trials of {stored.Sweep.ListedTrials} reported " +
                                   $"(database {Markup.Escape(stored.Database.ToString())})");
            foreach (var file in files)
                Console.WriteLine(file);
            return 0;
        });
        return command;
    }
}
