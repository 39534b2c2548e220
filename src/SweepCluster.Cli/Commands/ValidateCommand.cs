using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using SweepCluster.Sweeps;
using SweepCluster.Training.Data;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep validate</c>: parses a sweep spec, lists its cells and estimates its work without running anything.</summary>
public static class ValidateCommand
{
    /// <summary>
    /// Training images per second of one trial on the development machine (2 CPU cores, AMD
    /// EPYC, no GPU), pre-training on 28x28 images: the basis of the CPU time estimate.
    /// </summary>
    public const double DevMachineImagesPerSecond = 600;

    // Beyond this the table stops being read; the counts above it still cover every cell.
    const int MaxCellRows = 200;

    public static Command Create()
    {
        var spec = new Argument<string>("spec") { Description = "The YAML sweep spec (docs/spec.md)" };
        var maxTrials = new Option<long>("--max-trials")
        {
            Description = "Refuse specs that expand to more trials than this (a spec's max_trials may lower it, not raise it)",
            DefaultValueFactory = _ => SweepSpec.DefaultMaxTrials,
        };
        var dataRoots = DataRootOption.Create();
        var command = new Command("validate", "Check a sweep spec, list its cells and estimate the work, without running it")
        {
            spec, maxTrials, dataRoots,
        };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(spec)!;
            try
            {
                var options = SpecOptions.Confined(DataRootOption.Resolve(parse.GetValue(dataRoots), file), parse.GetValue(maxTrials),
                    new DatasetCatalog(new DataSettings()).AutoDataset());
                Write(SweepExpansion.Expand(SweepSpecParser.Load(file, options)), Path.GetFileName(file));
                return 0;
            }
            catch (Exception e) when (e is SpecException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    static void Write(ExpandedSweep sweep, string fileName)
    {
        var spec = sweep.Spec;
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(spec.Name)}[/] ({Markup.Escape(fileName)}): valid");
        AnsiConsole.MarkupLine(
            $"{sweep.Trials.Count:N0} trials in {sweep.Cells.Count:N0} cells ({sweep.DuplicatesRemoved:N0} duplicates removed) on {Markup.Escape(spec.Dataset.Name)}");
        if (spec.Seeds is AdaptiveSeeds adaptive)
            AnsiConsole.MarkupLine(
                $"adaptive seeds: {adaptive.Min} per cell now, then {adaptive.Batch} at a time up to {adaptive.Max} until the 95% half-width of {adaptive.Metric} is at most {adaptive.TargetHalfwidth.ToString(CultureInfo.InvariantCulture)}");

        var table = new Table().Border(TableBorder.Rounded).AddColumns("cell", "trials", "seeds");
        foreach (var cell in sweep.Cells.Take(MaxCellRows))
            table.AddRow(Markup.Escape(cell.Label), cell.Trials.Count.ToString(CultureInfo.InvariantCulture), Ranges(cell.Seeds));
        AnsiConsole.Write(table);
        if (sweep.Cells.Count > MaxCellRows)
            AnsiConsole.MarkupLine($"[grey]... and {sweep.Cells.Count - MaxCellRows:N0} more cells[/]");

        var work = sweep.Work;
        var hours = work.TrainingImages / DevMachineImagesPerSecond / 3600;
        // Short lines: Spectre wraps at the console width (80 columns when output is redirected).
        AnsiConsole.MarkupLine($"work: {work.TrainingImages:N0} training images, {work.Flops / 1e12:N2} TFLOP");
        AnsiConsole.MarkupLine($"about {Duration(hours)} of CPU time at {DevMachineImagesPerSecond:N0} training images/s");
        AnsiConsole.MarkupLine("[grey](one trial's pre-training rate, measured on the 2-core development machine)[/]");
        if (work.TrialsOfUnknownSize > 0)
            AnsiConsole.MarkupLine($"[yellow]{work.TrialsOfUnknownSize:N0} trials read folders of unknown size (no train_limit): not estimated[/]");
    }

    static string Duration(double hours) => hours switch
    {
        < 1.0 / 60 => $"{hours * 3600:N0} s",
        < 1 => $"{hours * 60:N1} min",
        < 48 => $"{hours:N1} h",
        _ => $"{hours / 24:N1} days",
    };

    /// <summary>Seeds as compact runs: 1-20, or 3, 7, 11.</summary>
    static string Ranges(IReadOnlyList<int> seeds)
    {
        var sorted = seeds.Order().ToList();
        var runs = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1) j++;
            runs.Add(j == i ? $"{sorted[i]}" : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(", ", runs);
    }
}
