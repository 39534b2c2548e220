using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using static SweepCluster.Deploy.Tests.GoTemplate;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// The template functions the chart calls, with Go's and Helm's (Sprig's) semantics: Go's
/// built-in and, or, not, gt, printf; Helm's include, required, fail, toYaml, fromYaml,
/// toJson; Sprig's default, quote, trunc, trimSuffix, contains, replace, nindent, list,
/// append, join, dict, set, merge, deepCopy, int, toString, ternary. An argument of the wrong Go
/// type fails as in Go (a float64 where an int is wanted, as with `nindent .Values.x`).
/// </summary>
public static class HelmFunctions
{
    public static readonly IReadOnlyDictionary<string, (Function Function, bool Lazy)> All = new Dictionary<string, (Function, bool)>
    {
        // Go's built-ins; and and or stop at the first argument that decides, as Go's do.
        ["and"] = ((a, _) => Lazy(a, "and").Aggregate((object?)true, (last, next) => Truth(last) ? next.Value : last), true),
        ["not"] = ((a, _) => !Truth(Arguments(a, "not", 1)[0]), false),
        ["gt"] = ((a, _) => Compare(Arguments(a, "gt", 2)[0], a[1]) > 0, false),
        ["printf"] = ((a, _) => GoFormat.Sprintf(String(Arguments(a, "printf", 1, int.MaxValue), 0, "printf"), a.Skip(1).ToList()), false),
        // Helm's.
        ["include"] = ((a, context) => context.Execute(String(Arguments(a, "include", 2), 0, "include"), a[1]), false),
        ["required"] = ((a, _) => Arguments(a, "required", 2)[1] is null or "" ? throw new TemplateException(String(a, 0, "required")) : a[1], false),
        ["fail"] = ((a, _) => throw new TemplateException(String(Arguments(a, "fail", 1), 0, "fail")), false),
        ["toYaml"] = ((a, _) => HelmValues.ToYaml(Arguments(a, "toYaml", 1)[0]), false),
        ["fromYaml"] = ((a, _) => HelmValues.FromYaml(String(Arguments(a, "fromYaml", 1), 0, "fromYaml")), false),
        ["toJson"] = ((a, _) => HelmValues.ToJson(Arguments(a, "toJson", 1)[0]), false),
        // Sprig's.
        ["default"] = ((a, _) => Arguments(a, "default", 1, 2).Count < 2 || Empty(a[1]) ? a[0] : a[1], false),
        ["quote"] = ((a, _) => string.Join(" ", a.Where(x => x is not null).Select(x => GoFormat.Quote(Text(x)))), false),
        ["toString"] = ((a, _) => Text(Arguments(a, "toString", 1)[0]), false),
        ["trunc"] = ((a, _) => Truncate(Int(Arguments(a, "trunc", 2), 0, "trunc"), String(a, 1, "trunc")), false),
        ["trimSuffix"] = ((a, _) => String(Arguments(a, "trimSuffix", 2), 1, "trimSuffix") is var s && s.EndsWith(String(a, 0, "trimSuffix"), StringComparison.Ordinal)
            ? s[..^String(a, 0, "trimSuffix").Length] : s, false),
        ["contains"] = ((a, _) => String(Arguments(a, "contains", 2), 1, "contains").Contains(String(a, 0, "contains"), StringComparison.Ordinal), false),
        ["replace"] = ((a, _) => String(Arguments(a, "replace", 3), 2, "replace").Replace(String(a, 0, "replace"), String(a, 1, "replace"), StringComparison.Ordinal), false),
        ["nindent"] = ((a, _) => Nindent(Int(Arguments(a, "nindent", 2), 0, "nindent"), String(a, 1, "nindent")), false),
        ["list"] = ((a, _) => a.ToList(), false),
        ["append"] = ((a, _) => Arguments(a, "append", 2)[0] is List<object?> list ? list.Append(a[1]).ToList() : throw Wrong("append", 0, "a list", a[0]), false),
        ["join"] = ((a, _) => string.Join(String(Arguments(a, "join", 2), 0, "join"), Strings(a[1])), false),
        ["dict"] = ((a, _) => Enumerable.Range(0, (a.Count + 1) / 2).ToDictionary(i => Text(a[2 * i]), i => 2 * i + 1 < a.Count ? a[2 * i + 1] : ""), false),
        ["set"] = ((a, _) =>
        {
            var map = Map(Arguments(a, "set", 3), 0, "set");
            map[String(a, 1, "set")] = a[2];
            return map;
        }, false),
        ["merge"] = ((a, _) =>
        {
            var target = Map(Arguments(a, "merge", 1, int.MaxValue), 0, "merge");
            for (var i = 1; i < a.Count; i++) Merge(target, Map(a, i, "merge"));
            return target;
        }, false),
        ["deepCopy"] = ((a, _) => HelmValues.DeepCopy(Arguments(a, "deepCopy", 1)[0]), false),
        ["int"] = ((a, _) => ToInt(Arguments(a, "int", 1)[0]), false),
        ["ternary"] = ((a, _) => Arguments(a, "ternary", 3)[2] is bool condition ? condition ? a[0] : a[1] : throw Wrong("ternary", 2, "bool", a[2]), false),
    };

    static IReadOnlyList<object?> Arguments(IReadOnlyList<object?> arguments, string function, int least, int most = -1)
    {
        if (most < 0) most = least;
        return arguments.Count >= least && arguments.Count <= most ? arguments
            : throw new TemplateException($"wrong number of args for {function}: want {(least == most ? least : $"{least} or more")} got {arguments.Count}");
    }

    static IEnumerable<Thunk> Lazy(IReadOnlyList<object?> arguments, string function) =>
        Arguments(arguments, function, 1, int.MaxValue).Select(a => a as Thunk ?? new Thunk(() => a));

    static string String(IReadOnlyList<object?> arguments, int index, string function) =>
        arguments[index] as string ?? throw Wrong(function, index, "string", arguments[index]);

    static long Int(IReadOnlyList<object?> arguments, int index, string function) =>
        arguments[index] is long l ? l : throw Wrong(function, index, "int", arguments[index]);

    static Dictionary<string, object?> Map(IReadOnlyList<object?> arguments, int index, string function) =>
        arguments[index] as Dictionary<string, object?> ?? throw Wrong(function, index, "map[string]interface {}", arguments[index]);

    static TemplateException Wrong(string function, int index, string expected, object? got) =>
        new($"wrong type for value of argument {index + 1} of {function}; expected {expected}; got {GoFormat.TypeName(got)}");

    /// <summary>Sprig's strval: a string as it is, anything else as %v prints it.</summary>
    static string Text(object? value) => value as string ?? GoFormat.Value(value);

    static IEnumerable<string> Strings(object? value) => value switch
    {
        null => [],
        List<object?> list => list.Where(x => x is not null).Select(Text),
        _ => [Text(value)],
    };

    /// <summary>Sprig's empty: nil, false, 0, and an empty string, list or map.</summary>
    static bool Empty(object? value) => !Truth(value);

    static string Truncate(long count, string s) =>
        count < 0 ? (s.Length + count > 0 ? s[(int)(s.Length + count)..] : s) : s.Length > count ? s[..(int)count] : s;

    /// <summary>Sprig's nindent: a newline, then every line of s indented.</summary>
    static string Nindent(long spaces, string s)
    {
        var pad = new string(' ', (int)spaces);
        return "\n" + pad + s.Replace("\n", "\n" + pad, StringComparison.Ordinal);
    }

    /// <summary>cast.ToInt, as Sprig's int: a float truncated, a string parsed (0 when it is no number), a bool as 1 or 0.</summary>
    static long ToInt(object? value) => value switch
    {
        null => 0,
        long l => l,
        double d => (long)d,
        bool b => b ? 1 : 0,
        string s => long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0,
        _ => throw new TemplateException($"int: cannot convert {GoFormat.TypeName(value)}"),
    };

    /// <summary>Go's ordering: values of one basic kind only (an int is never compared with a float64).</summary>
    static int Compare(object? a, object? b) => (a, b) switch
    {
        (long x, long y) => x.CompareTo(y),
        (double x, double y) => x.CompareTo(y),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => throw new TemplateException($"incompatible types for comparison: {GoFormat.TypeName(a)} and {GoFormat.TypeName(b)}"),
    };

    /// <summary>mergo.Merge, as Sprig's merge: keys the target lacks (or holds empty) come from the source, maps merged deeply.</summary>
    static void Merge(Dictionary<string, object?> target, Dictionary<string, object?> source)
    {
        foreach (var (key, value) in source)
        {
            if (!target.TryGetValue(key, out var existing) || Empty(existing)) target[key] = value;
            else if (existing is Dictionary<string, object?> inner && value is Dictionary<string, object?> from) Merge(inner, from);
        }
    }
}

/// <summary>Helm's values: read from YAML as Helm reads them (YAML 1.1, every number a float64), and written back by toYaml and toJson.</summary>
public static class HelmValues
{
    public static object? FromJson(JsonNode? node) => node switch
    {
        null => null,
        JsonObject map => map.ToDictionary(e => e.Key, e => FromJson(e.Value)),
        JsonArray list => list.Select(FromJson).ToList(),
        JsonValue value when value.TryGetValue<bool>(out var b) => b,
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        // Helm reads every number as a float64.
        JsonValue value when value.TryGetValue<long>(out var l) => (double)l,
        JsonValue value => value.GetValue<double>(),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    /// <summary>Helm's fromYaml: a YAML mapping as a map (and an error where Helm would put one into the map).</summary>
    public static object? FromYaml(string yaml) => YamlScalars.Documents(yaml, "YAML text") is [var first, ..]
        ? FromJson(YamlScalars.ToJson(first))
        : new Dictionary<string, object?>();

    public static object? DeepCopy(object? value) => value switch
    {
        Dictionary<string, object?> map => map.ToDictionary(e => e.Key, e => DeepCopy(e.Value)),
        List<object?> list => list.Select(DeepCopy).ToList(),
        _ => value,
    };

    /// <summary>
    /// Helm's toYaml: block YAML with sorted keys and lists at their key's indentation, as go-yaml
    /// writes it, without the final newline. Strings are quoted wherever a reader could take them
    /// for anything else; the text may differ from Helm's in quoting, never in what it reads as.
    /// </summary>
    public static string ToYaml(object? value) => string.Join("\n", Block(value));

    static IEnumerable<string> Block(object? value)
    {
        switch (value)
        {
            case Dictionary<string, object?> { Count: > 0 } map:
                foreach (var (key, item) in map.OrderBy(e => e.Key, StringComparer.Ordinal))
                {
                    if (item is Dictionary<string, object?> { Count: > 0 } or List<object?> { Count: > 0 })
                    {
                        yield return Scalar(key) + ":";
                        var indent = item is Dictionary<string, object?> ? "  " : "";
                        foreach (var line in Block(item)) yield return indent + line;
                    }
                    else yield return $"{Scalar(key)}: {Scalar(item)}";
                }
                break;
            case List<object?> { Count: > 0 } list:
                foreach (var item in list)
                {
                    var lines = Block(item).ToList();
                    yield return "- " + lines[0];
                    foreach (var line in lines.Skip(1)) yield return "  " + line;
                }
                break;
            default:
                yield return Scalar(value);
                break;
        }
    }

    static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        // json.Marshal writes an integral float64 as an integer, which go-yaml then writes as one.
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        double d => GoFormat.Float(d),
        string s => Plain(s) ? s : GoFormat.Quote(s),
        Dictionary<string, object?> => "{}",
        List<object?> => "[]",
        _ => throw new NotSupportedException($"toYaml of {value.GetType().Name}"),
    };

    /// <summary>Whether a string can stand unquoted: both YAML versions read it as this string, and nothing in it is YAML syntax.</summary>
    static bool Plain(string s) =>
        s.Length > 0
        && YamlScalars.Yaml11(s).Kind == YamlScalars.Kind.String && YamlScalars.Yaml12(s).Kind == YamlScalars.Kind.String
        && !char.IsWhiteSpace(s[0]) && !char.IsWhiteSpace(s[^1])
        && "-?:,[]{}#&*!|>'\"%@`".IndexOf(s[0]) < 0
        && !s.Contains(": ", StringComparison.Ordinal) && !s.Contains(" #", StringComparison.Ordinal) && !s.EndsWith(':')
        && s.All(c => c >= ' ' && c != '\x7f');

    /// <summary>Helm's toJson (json.Marshal): keys sorted, integral numbers as integers.</summary>
    public static string ToJson(object? value) => Json(value)?.ToJsonString() ?? "null";

    static JsonNode? Json(object? value) => value switch
    {
        null => null,
        Dictionary<string, object?> map => new JsonObject(map.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => KeyValuePair.Create(e.Key, Json(e.Value)))),
        List<object?> list => new JsonArray(list.Select(Json).ToArray()),
        bool b => JsonValue.Create(b),
        long l => JsonValue.Create(l),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => JsonValue.Create((long)d),
        double d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        _ => throw new NotSupportedException($"toJson of {value.GetType().Name}"),
    };
}
