using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SweepCluster.Storage;

namespace SweepCluster.Reports;

/// <summary>
/// The tables a report writes and `sweep results` prints, in one spelling: trials one per row
/// (CSV and JSON lines), and per-group statistics (CSV and JSON). CSV holds every number in its
/// shortest exact form, so it parses back to the stored doubles.
/// </summary>
public static class ReportTables
{
    /// <summary>A column of the trials table: every stored field in table order, with the cell's label after its key.</summary>
    public sealed record TrialColumn(string Name, Func<ReportTrial, object?> Value);

    public static readonly IReadOnlyList<TrialColumn> TrialColumns = ResultFields.All
        .SelectMany(f => f.Name == "cell_key"
            ? [new TrialColumn(f.Name, t => f.Value(t.Row)), new TrialColumn("cell", t => t.CellLabel)]
            : new[] { new TrialColumn(f.Name, t => f.Value(t.Row)) })
        .ToList();

    /// <summary>The statistics after a group's key columns, in order.</summary>
    public static readonly IReadOnlyList<string> StatisticsColumns =
        ["metric", "n", "mean", "sd", "median", "iqm", "min", "max", "t_low", "t_high", "bootstrap_low", "bootstrap_high"];

    public static string TrialsCsv(IReadOnlyList<ReportTrial> trials)
    {
        var text = new StringBuilder();
        Csv.AppendLine(text, TrialColumns.Select(c => c.Name));
        foreach (var trial in trials)
            Csv.AppendLine(text, TrialColumns.Select(c => ResultField.Format(c.Value(trial))));
        return text.ToString();
    }

    /// <summary>One JSON object per line and trial, with the columns of <see cref="TrialsCsv"/> as typed values.</summary>
    public static string TrialsJsonLines(IReadOnlyList<ReportTrial> trials)
    {
        var text = new StringBuilder();
        foreach (var trial in trials)
            text.Append(Json(writer =>
            {
                writer.WriteStartObject();
                foreach (var column in TrialColumns)
                    WriteProperty(writer, column.Name, column.Value(trial));
                writer.WriteEndObject();
            })).Append('\n');
        return text.ToString();
    }

    /// <summary>One row per group: its key columns (<c>cell</c> and <c>cell_key</c>, or the grouping fields), then <see cref="StatisticsColumns"/>.</summary>
    public static string StatisticsCsv(IReadOnlyList<GroupStatistics> groups)
    {
        var text = new StringBuilder();
        Csv.AppendLine(text, KeyNames(groups).Concat(StatisticsColumns));
        foreach (var g in groups)
            Csv.AppendLine(text, g.Group.Key.Select(k => k.Value).Concat(StatisticsValues(g)).Select(ResultField.Format));
        return text.ToString();
    }

    /// <summary>An array of objects with the same names and values as the rows of <see cref="StatisticsCsv"/>, typed.</summary>
    public static string StatisticsJson(IReadOnlyList<GroupStatistics> groups) => Json(writer =>
    {
        writer.WriteStartArray();
        foreach (var g in groups)
        {
            writer.WriteStartObject();
            foreach (var (name, value) in g.Group.Key.Concat(StatisticsColumns.Zip(StatisticsValues(g), KeyValuePair.Create)))
                WriteProperty(writer, name, value);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }, indented: true);

    /// <summary>The values of <see cref="StatisticsColumns"/> for one group, null where there are too few values.</summary>
    public static IReadOnlyList<object?> StatisticsValues(GroupStatistics g)
    {
        var s = g.Statistics;
        return
        [
            g.Metric.Name, s.N, s.Mean, s.StandardDeviation, s.Median, s.Iqm, s.Min, s.Max,
            s.TInterval?.Lower, s.TInterval?.Upper, s.BootstrapInterval?.Lower, s.BootstrapInterval?.Upper,
        ];
    }

    public static IReadOnlyList<string> KeyNames(IReadOnlyList<GroupStatistics> groups) =>
        groups.Count == 0 ? [] : groups[0].Group.Key.Select(k => k.Key).ToList();

    static void WriteProperty(Utf8JsonWriter writer, string name, object? value)
    {
        writer.WritePropertyName(name);
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case int i: writer.WriteNumberValue(i); break;
            case double d: writer.WriteNumberValue(d); break;
            case string s: writer.WriteStringValue(s); break;
            default: writer.WriteStringValue(ResultField.Format(value)); break;
        }
    }

    static string Json(Action<Utf8JsonWriter> write, bool indented = false)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps labels readable; the output is a file, never embedded in HTML.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
