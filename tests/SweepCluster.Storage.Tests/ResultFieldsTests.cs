using SweepCluster.Training.Trials;

namespace SweepCluster.Storage.Tests;

public sealed class ResultFieldsTests
{
    [Fact]
    public async Task Every_column_but_the_json_records_is_a_field_with_its_role()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseSettings.SqliteName);
        await db.Store.EnsureSchemaAsync();
        var columns = new List<string>();
        await using (var connection = await db.OpenAsync())
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM pragma_table_info('trial_results') ORDER BY cid";
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) columns.Add(reader.GetString(0));
        }
        Assert.Equal(columns.Except(["config_json", "result_json"]), ResultFields.All.Select(f => f.Name));
        Assert.Equal(["pre_finetune_test_accuracy", "test_accuracy", "images_per_second", "total_seconds"],
            ResultFields.All.Where(f => f.Role == FieldRole.Metric).Select(f => f.Name));
        Assert.Equal(FieldRole.Configuration, ResultFields.Find("learning_rate").Role);
        Assert.Equal(FieldRole.Identity, ResultFields.Find("cell_key").Role);
        Assert.Equal(FieldRole.Outcome, ResultFields.Find("worker").Role);
        Assert.Equal(["true", "noisy", "random-frozen", "head-only"], ResultFields.Find("arm").Choices);
    }

    [Fact]
    public void Values_are_the_row_values_and_parse_back_from_their_text()
    {
        var row = TrialResults.Row(Arm.Noisy, 3, noise: 0.75, noiseSeed: ulong.MaxValue - 1);
        Assert.Equal("noisy", ResultFields.Find("arm").Value(row));
        Assert.Equal(0.75, ResultFields.Find("noise").Value(row));
        Assert.Equal(3, ResultFields.Find("seed").Value(row));
        Assert.Equal(row.TestAccuracy, ResultFields.TestAccuracy.Number(row));
        foreach (var field in ResultFields.All)
        {
            var value = field.Value(row);
            Assert.Equal(value, field.Parse(ResultField.Format(value)));
        }
        var headOnly = TrialResults.Row(Arm.HeadOnly, 4);
        Assert.Null(ResultFields.Metric("pre_finetune_test_accuracy").Number(headOnly));
    }

    [Fact]
    public void Formatting_is_invariant_and_exact()
    {
        Assert.Equal("0.1", ResultField.Format(0.1));
        Assert.Equal("0.30000000000000004", ResultField.Format(0.1 + 0.2));
        Assert.Equal("1E-05", ResultField.Format(1e-5));
        Assert.Equal("", ResultField.Format(null));
        Assert.Equal("2026-03-14T13:09:26.5358970+00:00", ResultField.Format(TrialResults.StartedAt.ToUniversalTime()));
    }

    [Theory]
    [InlineData("arm=noisy", true)]
    [InlineData("arm = noisy", true)]
    [InlineData("noise=0.75", true)]
    [InlineData("noise=.75", true)]
    [InlineData("noise=0.5", false)]
    [InlineData("seed=3", true)]
    [InlineData("train_limit=5000", true)]
    [InlineData("dataset_path=", true)]
    [InlineData("learning_rate=1e-4", true)]
    public void A_filter_matches_the_rows_with_that_value(string text, bool matches) =>
        Assert.Equal(matches, ResultFilter.Parse(text).Matches(TrialResults.Row(Arm.Noisy, 3, noise: 0.75)));

    [Theory]
    [InlineData("colour=red", "no field 'colour'; the fields are trial_id, kind, arm, noise,")]
    [InlineData("arm=nosy", "arm takes one of true, noisy, random-frozen, head-only, not 'nosy'")]
    [InlineData("noise=half", "noise takes a number, not 'half'")]
    [InlineData("seed=1.5", "seed takes an integer, not '1.5'")]
    [InlineData("train_limit=x", "train_limit takes an integer (or nothing, for none), not 'x'")]
    [InlineData("seed=", "seed takes an integer, not ''")]
    [InlineData("arm", "expected field=value")]
    [InlineData("test_accuracy=0.9", "test_accuracy is a metric")]
    public void A_bad_filter_says_what_is_wrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ResultFieldException>(() => ResultFilter.Parse(text)).Message);

    [Fact]
    public void Only_metrics_are_summarised()
    {
        Assert.Same(ResultFields.TestAccuracy, ResultFields.Metric("test_accuracy"));
        Assert.Contains("arm is not a metric; the metrics are pre_finetune_test_accuracy, test_accuracy, images_per_second, total_seconds",
            Assert.Throws<ResultFieldException>(() => ResultFields.Metric("arm")).Message);
    }
}
