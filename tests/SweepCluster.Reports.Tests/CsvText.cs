using System.Text;

namespace SweepCluster.Reports.Tests;

/// <summary>An RFC 4180 reader written apart from the writer under test, so a round trip checks the quoting rather than repeating it.</summary>
public static class CsvText
{
    public static List<string[]> Parse(string text)
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') field.Append(text[++i]);
                else quoted = false;
                continue;
            }
            switch (c)
            {
                case '"': quoted = true; break;
                case ',': row.Add(field.ToString()); field.Clear(); break;
                case '\n':
                    row.Add(field.ToString());
                    field.Clear();
                    rows.Add(row.ToArray());
                    row.Clear();
                    break;
                default: field.Append(c); break;
            }
        }
        Assert.False(quoted, "a quoted field is not closed");
        Assert.True(field.Length == 0 && row.Count == 0, "the last line has no line end");
        return rows;
    }

    /// <summary>The rows after the header as dictionaries by column name.</summary>
    public static List<Dictionary<string, string>> Records(string text)
    {
        var rows = Parse(text);
        Assert.All(rows, r => Assert.Equal(rows[0].Length, r.Length));
        return rows.Skip(1).Select(r => rows[0].Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
    }
}
