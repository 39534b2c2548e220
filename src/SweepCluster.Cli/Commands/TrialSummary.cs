using Spectre.Console;
using SweepCluster.Training.Trials;

namespace SweepCluster.Cli.Commands;

/// <summary>The readable summary of one trial record.</summary>
public static class TrialSummary
{
    public static void Write(TrialResult r)
    {
        var c = r.Config;
        var arm = TrialConfig.Format(c.Arm) + (c.Arm == Arm.Noisy ? $" p={c.Noise} ({c.NoiseModel.ToString().ToLowerInvariant()})" : "");
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(arm)}[/]  seed {c.Seed}  on {Markup.Escape(r.Dataset)} " +
                               $"({r.Split.Train} train / {r.Split.Validation} validation / {r.Split.Test} test)");
        if (r.Corruption is { } k)
            AnsiConsole.MarkupLine($"corrupted: {k.Selected} selected, realised fraction {k.RealisedFraction:F4}, labels {k.LabelsHash[..12]}");

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("phase", "epoch", "loss", "acc (trained labels)", "acc (true labels)", "validation acc", "img/s");
        foreach (var e in r.Epochs)
            table.AddRow(e.Phase, e.Epoch.ToString(), $"{e.TrainLoss:F4}", $"{e.TrainAccuracy:F4}", $"{e.TrainTrueAccuracy:F4}",
                e.ValidationAccuracy is { } v ? $"{v:F4}" : "-", $"{e.ImagesPerSecond:F0}");
        AnsiConsole.Write(table);

        if (r.PreFinetuneTestAccuracy is { } before)
            AnsiConsole.MarkupLine($"test accuracy before fine-tuning: [bold]{before:F4}[/]");
        AnsiConsole.MarkupLine($"test accuracy after fine-tuning:  [bold green]{r.TestAccuracy:F4}[/]");
        AnsiConsole.MarkupLine($"[grey]{r.Timings.TotalSeconds:F1} s ({r.Timings.DataSeconds:F1} s data, {r.ImagesPerSecond:F0} img/s on {r.Environment.Device} x{r.Environment.Threads} threads)  config {r.ConfigHash[..16]}[/]");
    }
}
