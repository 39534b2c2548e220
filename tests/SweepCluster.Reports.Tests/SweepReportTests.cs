using System.Globalization;
using System.Text.Json;
using SweepCluster.Analysis;
using SweepCluster.Storage;

namespace SweepCluster.Reports.Tests;

public sealed class SweepReportTests(StoredSweepFixture fixture) : IClassFixture<StoredSweepFixture>, IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-report-out-").FullName;
    static readonly ReportOptions Options = new() { Bootstrap = new BootstrapOptions { Resamples = 2_000, Seed = 3 }, Margin = 0.005 };

    async Task<string> Write(string name = "report")
    {
        var sweep = await SweepObservations.LoadAsync(fixture.Store, StoredSweepFixture.SweepId, [], CancellationToken.None);
        var directory = Path.Combine(_folder, name);
        var files = await SweepReport.WriteAsync(sweep, Options, directory, CancellationToken.None);
        Assert.All(files, f => Assert.True(File.Exists(f), f));
        return directory;
    }

    [Fact]
    public async Task Cells_csv_parses_back_to_the_statistics_of_the_stored_values()
    {
        var records = CsvText.Records(await File.ReadAllTextAsync(Path.Combine(await Write(), SweepReport.CellsCsv)));
        Assert.Equal(["true", "noisy p=0.5 shuffle", "noisy p=1 shuffle", "random-frozen", "head-only"], records.Select(r => r["cell"]));
        var rows = fixture.Rows();
        foreach (var record in records)
        {
            var s = CellStatistics.Of(rows.Where(r => r.CellKey == record["cell_key"]).Select(r => r.TestAccuracy).ToList(), Options.Bootstrap);
            Assert.Equal("test_accuracy", record["metric"]);
            Assert.Equal(s.N, int.Parse(record["n"], CultureInfo.InvariantCulture));
            Assert.Equal(s.Mean, Number(record["mean"]));
            Assert.Equal(s.StandardDeviation, Number(record["sd"]));
            Assert.Equal(s.Iqm, Number(record["iqm"]));
            Assert.Equal(s.TInterval!.Lower, Number(record["t_low"]));
            Assert.Equal(s.BootstrapInterval!.Upper, Number(record["bootstrap_high"]));
        }
    }

    [Fact]
    public async Task Trials_csv_and_json_lines_hold_every_field_of_every_stored_trial()
    {
        var directory = await Write();
        var csv = CsvText.Records(await File.ReadAllTextAsync(Path.Combine(directory, SweepReport.TrialsCsv)));
        var json = (await File.ReadAllLinesAsync(Path.Combine(directory, SweepReport.TrialsJsonLines))).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var rows = fixture.Rows().ToDictionary(r => r.TrialId);
        Assert.Equal(rows.Count, csv.Count);
        Assert.Equal(rows.Count, json.Count);
        Assert.Equal(ResultFields.All.Count + 1, csv[0].Count); // every field and the cell label
        foreach (var (record, line) in csv.Zip(json))
        {
            var row = rows[record["trial_id"]];
            Assert.Equal(row.TrialId, line.GetProperty("trial_id").GetString());
            foreach (var field in ResultFields.All)
            {
                var value = field.Value(row);
                Assert.Equal(value, field.Parse(record[field.Name]));
                var element = line.GetProperty(field.Name);
                object? fromJson = element.ValueKind switch
                {
                    JsonValueKind.Null => null,
                    JsonValueKind.Number when value is int => element.GetInt32(),
                    JsonValueKind.Number => element.GetDouble(),
                    _ => field.Parse(element.GetString()!),
                };
                Assert.Equal(value, fromJson);
            }
        }
        Assert.Contains(csv, r => r["cell"] == "noisy p=1 shuffle" && r["pre_finetune_test_accuracy"] != "");
        Assert.Contains(csv, r => r["cell"] == "head-only" && r["pre_finetune_test_accuracy"] == "");
    }

    [Fact]
    public async Task Every_figure_is_a_png_of_the_stated_size()
    {
        var directory = await Write();
        var figures = Directory.GetFiles(directory, "*.png");
        Assert.Equal(4, figures.Length);
        Assert.All(figures, f => Assert.Equal((ReportPlots.Width, ReportPlots.Height), Png.Size(f)));
    }

    [Fact]
    public async Task Report_md_puts_the_cells_and_every_comparison_into_words()
    {
        var text = await File.ReadAllTextAsync(Path.Combine(await Write(), SweepReport.Markdown));
        Assert.Contains("# Sweep seeds-0123abcd", text);
        Assert.Contains("58 of the sweep's 60 trials have a result; the other 2 failed or have not run yet", text);
        Assert.Contains("| noisy p=1 shuffle | 10 |", text);
        // Arbitrary labels sit within a fraction of a point of the control here, as the experiment expects.
        Assert.Matches(@"- noisy p=1 shuffle scored 0\.00\d lower than random-frozen \(95% CI −0\.\d{3} to 0\.\d{3}, Holm p = 0\.\d+, 10 paired seeds\): " +
                       @"not distinguishable from no difference with these seeds\. A 95% interval as narrow as ±0\.00\d \(the difference seen\) takes about \d+ paired seeds\. " +
                       @"Equivalent within ±0\.005 \(TOST p = 0\.0\d+\)\.", text);
        Assert.Matches(@"- noisy p=1 shuffle scored 0\.0\d\d lower than true \(95% CI −0\.\d{3} to −0\.\d{3}, Holm p [=<] [0-9.]+, 10 paired seeds\): a difference at the 5% level after Holm's correction\.\n", text);
        Assert.Matches(@"- true scored 0\.0\d\d higher than random-frozen \(95% CI 0\.\d{3} to 0\.\d{3}, Holm p [=<] [0-9.]+, 12 paired seeds\)", text);
        Assert.Contains("Holm-adjusted across the 6 comparisons", text);
        Assert.Contains("TOST p", text);
        Assert.Contains("![test_accuracy against label noise](metric-vs-noise.png)", text);
        Assert.Equal(6, text.Split('\n').Count(l => l.StartsWith("- ", StringComparison.Ordinal) && l.Contains(" paired seed")));
    }

    [Fact]
    public async Task The_same_database_and_seed_give_the_same_report()
    {
        var first = await Write("first");
        var second = await Write("second");
        foreach (var name in new[] { SweepReport.Markdown, SweepReport.CellsCsv, SweepReport.TrialsCsv, SweepReport.TrialsJsonLines })
            Assert.Equal(await File.ReadAllTextAsync(Path.Combine(first, name)), await File.ReadAllTextAsync(Path.Combine(second, name)));
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    public void Csv_quotes_only_fields_that_need_it_and_reads_back(string value, string written)
    {
        Assert.Equal(written, Csv.Field(value));
        var text = new System.Text.StringBuilder();
        Csv.AppendLine(text, [value, "x"]);
        Assert.Equal([value, "x"], CsvText.Parse(text.ToString()).Single());
    }

    static double? Number(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
