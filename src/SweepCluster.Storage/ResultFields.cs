using System.Globalization;
using SweepCluster.Training.Labels;
using SweepCluster.Training.Trials;

namespace SweepCluster.Storage;

/// <summary>What a field of a stored trial is for.</summary>
public enum FieldRole
{
    /// <summary>Names the trial or its cell (<c>trial_id</c>, <c>cell_key</c>).</summary>
    Identity,
    /// <summary>A setting of the configuration (<c>arm</c>, <c>noise</c>, <c>learning_rate</c>, ...): what trials are grouped and filtered by.</summary>
    Configuration,
    /// <summary>A measured number (<c>test_accuracy</c>, ...): what statistics are computed over.</summary>
    Metric,
    /// <summary>How the trial ran: <c>status</c>, <c>worker</c>, start and end.</summary>
    Outcome,
}

public enum FieldType
{
    Text,
    Integer,
    Real,
    Timestamp,
}

/// <summary>A field is unknown, has the wrong role for its use, or a value given for it does not parse.</summary>
public sealed class ResultFieldException(string message) : Exception(message);

/// <summary>
/// One column of <c>trial_results</c> by name, as reports, filters and groupings read it. The
/// names, types and values come from the table's own declaration, so they cannot drift from what
/// is stored. Values are what the row holds: <see cref="string"/>, <see cref="int"/>,
/// <see cref="double"/>, <see cref="DateTimeOffset"/> (UTC) or null.
/// </summary>
public sealed class ResultField
{
    readonly Func<ResultRow, object?> _value;

    internal ResultField(string name, FieldType type, FieldRole role, bool nullable, IReadOnlyList<string>? choices, Func<ResultRow, object?> value)
    {
        Name = name;
        Type = type;
        Role = role;
        Nullable = nullable;
        Choices = choices;
        _value = value;
    }

    public string Name { get; }
    public FieldType Type { get; }
    public FieldRole Role { get; }
    public bool Nullable { get; }
    /// <summary>Every value a text field can hold, where that set is fixed (the arms, the noise models, ...); otherwise null.</summary>
    public IReadOnlyList<string>? Choices { get; }

    public object? Value(ResultRow row) => _value(row);

    /// <summary>A metric's value as a number; null where the trial has none (no accuracy before fine-tuning for head-only).</summary>
    public double? Number(ResultRow row) => Value(row) is { } value ? Convert.ToDouble(value, CultureInfo.InvariantCulture) : null;

    /// <summary>
    /// How CSV files and tables spell a value: invariant culture, doubles in their shortest form that
    /// parses back to the same double ("R"), timestamps in ISO 8601, null as the empty string.
    /// </summary>
    public static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// The value that <paramref name="text"/> names for this field, as <see cref="Value"/> returns it,
    /// so the two compare with <see cref="object.Equals(object, object)"/>. The empty string is null
    /// for fields that may be null. Throws <see cref="ResultFieldException"/> saying what the field takes.
    /// </summary>
    public object? Parse(string text)
    {
        if (text.Length == 0 && Nullable)
            return null;
        switch (Type)
        {
            case FieldType.Integer when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer):
                return integer;
            case FieldType.Real when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real):
                return real;
            case FieldType.Timestamp when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time):
                return time.ToUniversalTime();
            case FieldType.Text when Choices is null || Choices.Contains(text):
                return text;
        }
        var takes = Type switch
        {
            FieldType.Integer => "an integer",
            FieldType.Real => "a number",
            FieldType.Timestamp => "a date and time",
            _ => $"one of {string.Join(", ", Choices!)}",
        };
        throw new ResultFieldException($"{Name} takes {takes}{(Nullable ? " (or nothing, for none)" : "")}, not '{text}'");
    }

    public override string ToString() => Name;
}

/// <summary>Every field of a stored trial that reports use, in table order; the two JSON records are left out (they repeat these values).</summary>
public static class ResultFields
{
    static readonly string[] Records = ["config_json", "result_json"];
    static readonly string[] Identities = ["trial_id", "cell_key"];
    static readonly string[] Metrics = ["pre_finetune_test_accuracy", "test_accuracy", "images_per_second", "total_seconds"];
    static readonly string[] Outcomes = ["status", "worker", "started_at", "finished_at"];

    /// <summary>The text fields whose values are an enum's names, spelled as the trial JSON spells them.</summary>
    static readonly Dictionary<string, IReadOnlyList<string>> EnumChoices = new()
    {
        ["arm"] = ResultRow.Names<Arm>(),
        ["noise_model"] = ResultRow.Names<NoiseModel>(),
        ["head"] = ResultRow.Names<HeadInit>(),
        ["optimizer"] = ResultRow.Names<OptimizerKind>(),
    };

    public static readonly IReadOnlyList<ResultField> All = ResultsSchema.TrialColumns
        .Where(c => !Records.Contains(c.Name))
        .Select(c => new ResultField(c.Name, TypeOf(c.Type), RoleOf(c.Name), c.Nullable, EnumChoices.GetValueOrDefault(c.Name), c.Value))
        .ToList();

    /// <summary>The metric reports summarise unless told otherwise.</summary>
    public static readonly ResultField TestAccuracy = All.Single(f => f.Name == "test_accuracy");

    /// <summary>The field named <paramref name="name"/>; unknown names get an error that lists every field.</summary>
    public static ResultField Find(string name) =>
        All.FirstOrDefault(f => f.Name == name)
        ?? throw new ResultFieldException($"no field '{name}'; the fields are {string.Join(", ", All.Select(f => f.Name))}");

    /// <summary>A field to summarise: it must be a metric.</summary>
    public static ResultField Metric(string name)
    {
        var field = Find(name);
        return field.Role == FieldRole.Metric
            ? field
            : throw new ResultFieldException($"{name} is not a metric; the metrics are {string.Join(", ", All.Where(f => f.Role == FieldRole.Metric))}");
    }

    /// <summary>A field to group or filter trials by: anything but a metric, whose values are measured rather than chosen.</summary>
    public static ResultField Setting(string name)
    {
        var field = Find(name);
        return field.Role != FieldRole.Metric
            ? field
            : throw new ResultFieldException($"{name} is a metric: summarise it with --metric rather than group or filter by it");
    }

    static FieldRole RoleOf(string name) =>
        Identities.Contains(name) ? FieldRole.Identity
        : Metrics.Contains(name) ? FieldRole.Metric
        : Outcomes.Contains(name) ? FieldRole.Outcome
        : FieldRole.Configuration;

    static FieldType TypeOf(ColumnType type) => type switch
    {
        ColumnType.Text => FieldType.Text,
        ColumnType.Integer or ColumnType.BigInteger => FieldType.Integer,
        ColumnType.Real => FieldType.Real,
        ColumnType.Timestamp => FieldType.Timestamp,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}

/// <summary>A condition <c>field=value</c> on stored trials, as <c>--where</c> gives it.</summary>
public sealed record ResultFilter(ResultField Field, object? Value)
{
    /// <summary>Reads <c>field=value</c>; throws <see cref="ResultFieldException"/> for a missing <c>=</c>, an unknown field or a bad value.</summary>
    public static ResultFilter Parse(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0)
            throw new ResultFieldException("expected field=value, e.g. arm=noisy");
        var field = ResultFields.Setting(text[..equals].Trim());
        return new ResultFilter(field, field.Parse(text[(equals + 1)..].Trim()));
    }

    public bool Matches(ResultRow row) => Equals(Field.Value(row), Value);

    public override string ToString() => $"{Field.Name}={ResultField.Format(Value)}";
}
