using System.Text;

namespace SweepCluster.Reports;

/// <summary>
/// RFC 4180 CSV: a field holding a comma, a double quote or a line break is quoted, with its quotes
/// doubled; lines end in \n. Callers format values first (invariant culture, see <see cref="Storage.ResultField.Format"/>).
/// </summary>
public static class Csv
{
    public static string Field(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : $"\"{value.Replace("\"", "\"\"")}\"";

    public static void AppendLine(StringBuilder text, IEnumerable<string> fields) =>
        text.AppendJoin(',', fields.Select(Field)).Append('\n');
}
