using System.Globalization;
using System.Text.Json;
using SweepCluster.Analysis;
using SweepCluster.Reports;
using SweepCluster.Reports.Tests;
using SweepCluster.Storage;

namespace SweepCluster.Cli.Tests;

/// <summary>`sweep results` with statistics and `sweep report`, as processes, on a stored sweep (no training).</summary>
public sealed class ReportCommandTests(StoredSweepFixture fixture) : IClassFixture<StoredSweepFixture>, IDisposable
{
    const string Id = StoredSweepFixture.SweepId;
    readonly string _folder = Directory.CreateTempSubdirectory("sweep-report-cli-").FullName;

    Task<Sweep.Output> Run(params string[] args) => Sweep.Run([.. args, "--database", fixture.DatabasePath]);

    static double? Number(string text) => text.Length == 0 ? null : double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Statistics_per_cell_are_the_analysis_statistics_of_the_stored_values()
    {
        var run = await Run("results", Id, "--stats", "--format", "csv", "--bootstrap-seed", "9");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var records = CsvText.Records(run.Stdout);
        Assert.Equal(["true", "noisy p=0.5 shuffle", "noisy p=1 shuffle", "random-frozen", "head-only"], records.Select(r => r["cell"]));
        var rows = fixture.Rows();
        foreach (var record in records)
        {
            var s = CellStatistics.Of(rows.Where(r => r.CellKey == record["cell_key"]).Select(r => r.TestAccuracy).ToList(), new BootstrapOptions { Seed = 9 });
            Assert.Equal(s.N, int.Parse(record["n"], CultureInfo.InvariantCulture));
            Assert.Equal(new[] { s.Mean, s.StandardDeviation, s.Median, s.Iqm, s.Min, s.Max, s.TInterval!.Lower, s.TInterval.Upper, s.BootstrapInterval!.Lower, s.BootstrapInterval.Upper },
                new[] { "mean", "sd", "median", "iqm", "min", "max", "t_low", "t_high", "bootstrap_low", "bootstrap_high" }.Select(c => Number(record[c])));
        }
    }

    [Fact]
    public async Task Group_by_and_where_pool_the_chosen_trials_of_any_metric()
    {
        var run = await Run("results", Id, "--group-by", "arm", "--where", "noise=0", "--metric", "pre_finetune_test_accuracy", "--format", "json");
        Assert.True(run.ExitCode == 0, run.Stderr);
        var groups = JsonDocument.Parse(run.Stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(["head-only", "random-frozen", "true"], groups.Select(g => g.GetProperty("arm").GetString()));
        var rows = fixture.Rows();
        foreach (var group in groups)
        {
            var values = rows.Where(r => r.Arm == group.GetProperty("arm").GetString()).Select(r => r.PreFinetuneTestAccuracy).OfType<double>().ToList();
            var s = CellStatistics.Of(values, BootstrapOptions.Default);
            Assert.Equal("pre_finetune_test_accuracy", group.GetProperty("metric").GetString());
            Assert.Equal(s.N, group.GetProperty("n").GetInt32());
            Assert.Equal(s.Mean, group.GetProperty("mean").ValueKind == JsonValueKind.Null ? null : group.GetProperty("mean").GetDouble());
        }
        Assert.Equal(0, groups[0].GetProperty("n").GetInt32()); // head-only has no features, so no accuracy before fine-tuning

        var noisy = await Run("results", Id, "--group-by", "arm,noise", "--where", "arm=noisy", "--format", "csv");
        Assert.Equal([("0.5", "12"), ("1", "10")], CsvText.Records(noisy.Stdout).Select(r => (r["noise"], r["n"])));

        var table = await Run("results", Id, "--stats");
        Assert.Contains("noisy p=1 shuffle", table.Stdout);
        Assert.Contains("test_accuracy", table.Stdout);
    }

    [Theory]
    [InlineData("--where|arm=nosy", "error: --where arm=nosy: arm takes one of true, noisy, random-frozen, head-only, not 'nosy'")]
    [InlineData("--where|colour=red", "error: --where colour=red: no field 'colour'; the fields are trial_id, kind, arm,")]
    [InlineData("--where|noise=half", "error: --where noise=half: noise takes a number, not 'half'")]
    [InlineData("--where|arm", "error: --where arm: expected field=value")]
    [InlineData("--group-by|colour", "error: --group-by: no field 'colour'")]
    [InlineData("--metric|arm", "error: --metric: arm is not a metric; the metrics are pre_finetune_test_accuracy, test_accuracy,")]
    [InlineData("--bootstrap-seed|x", "error: --bootstrap-seed: takes an integer, not 'x'")]
    [InlineData("--where|arm=noisy|--where|noise=0.75", "error: no trial of sweep 'seeds-0123abcd' has arm=noisy and noise=0.75 (58 trials have results)")]
    public async Task A_bad_filter_grouping_or_metric_exits_2_naming_it(string options, string message)
    {
        var run = await Run(["results", Id, "--stats", .. options.Split('|')]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task A_report_holds_every_file_and_its_trials_csv_is_what_results_prints()
    {
        var output = Path.Combine(_folder, "report");
        var run = await Run("report", Id, "--out", output, "--margin", "0.005", "--bootstrap-seed", "4");
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("58 trials of 60 reported", run.Stdout);
        foreach (var name in new[] { SweepReport.Markdown, SweepReport.CellsCsv, SweepReport.TrialsCsv, SweepReport.TrialsJsonLines })
            Assert.True(File.Exists(Path.Combine(output, name)), name);
        foreach (var png in new[] { SweepReport.MetricAgainstNoisePng, SweepReport.DistributionsPng, SweepReport.LearningCurvesPng, SweepReport.PairedDifferencesPng })
            Assert.Equal((ReportPlots.Width, ReportPlots.Height), Png.Size(Path.Combine(output, png)));

        var text = await File.ReadAllTextAsync(Path.Combine(output, SweepReport.Markdown));
        Assert.Contains("58 of the sweep's 60 trials have a result; the other 2 failed or have not run yet", text);
        Assert.Contains("- noisy p=1 shuffle scored 0.0", text);
        Assert.Contains("lower than random-frozen (95% CI", text);
        Assert.Contains("Equivalence is tested with TOST at a margin of ±0.005 (`--margin`)", text);
        Assert.Contains("bootstrap intervals are percentile intervals of 10,000 resamples from seed 4", text);

        var results = await Run("results", Id, "--format", "csv");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(output, SweepReport.TrialsCsv)), results.Stdout);
    }

    [Fact]
    public async Task Without_margin_a_report_tests_equivalence_at_the_specs_margin()
    {
        var output = Path.Combine(_folder, "spec-margin");
        var run = await Run("report", Id, "--out", output);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var text = await File.ReadAllTextAsync(Path.Combine(output, SweepReport.Markdown));
        Assert.Contains("Equivalence is tested with TOST at a margin of ±0.004 (the spec's `equivalence_margin`)", text);
    }

    [Fact]
    public async Task A_report_of_an_unknown_sweep_or_with_a_bad_margin_exits_2_and_writes_nothing()
    {
        var output = Path.Combine(_folder, "nothing");
        var unknown = await Run("report", "nope", "--out", output);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("error: no sweep 'nope' in the database (sqlite:", unknown.Stderr);

        var margin = await Run("report", Id, "--out", output, "--margin", "-1");
        Assert.Equal(2, margin.ExitCode);
        Assert.Contains("error: --margin: takes a positive number, not '-1'", margin.Stderr);
        Assert.False(Directory.Exists(output));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
