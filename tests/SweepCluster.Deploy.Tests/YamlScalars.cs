using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// What a plain (unquoted) YAML scalar means. YamlDotNet leaves every scalar a string, so the type
/// a Kubernetes tool sees must be worked out: kubectl and Helm read YAML through go-yaml v2, which
/// types plain scalars as YAML 1.1 does (yes/no/on/off are booleans, 0755 is octal), while YAML
/// 1.2 parsers use the core schema (those are a string and 755).
/// </summary>
public static partial class YamlScalars
{
    public enum Kind { Null, Bool, Int, Float, String }

    /// <summary>A scalar with its type and its value (null, bool, long, double or string).</summary>
    public readonly record struct Typed(Kind Kind, object? Value)
    {
        public bool SameAs(Typed other) => Kind == other.Kind && (Kind == Kind.Float
            ? ((double)Value!).Equals((double)other.Value!)
            : Equals(Value, other.Value));

        public override string ToString() => Kind switch
        {
            Kind.Null => "null",
            Kind.String => $"the string '{Value}'",
            _ => $"the {Kind.ToString().ToLowerInvariant()} {Convert.ToString(Value, CultureInfo.InvariantCulture)!.ToLowerInvariant()}",
        };
    }

    /// <summary>A plain scalar as go-yaml v2 types it (YAML 1.1): what kubectl applies and what Helm reads values.yaml as.</summary>
    public static Typed Yaml11(string plain)
    {
        switch (plain)
        {
            case "" or "~" or "null" or "Null" or "NULL": return new(Kind.Null, null);
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON": return new(Kind.Bool, true);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF": return new(Kind.Bool, false);
        }
        if (Special(plain) is { } special) return special;
        if (plain.Length == 0 || "+-.0123456789".IndexOf(plain[0]) < 0) return new(Kind.String, plain);
        // Go's strconv.ParseInt(s, 0, 64) after go-yaml drops the underscores: 0x, 0o, 0b and a leading 0 (octal).
        var digits = plain.Replace("_", "");
        var m = GoInteger().Match(digits);
        if (m.Success)
        {
            var (radix, body) = m.Groups["hex"].Success ? (16, m.Groups["hex"].Value)
                : m.Groups["oct"].Success ? (8, m.Groups["oct"].Value)
                : m.Groups["bin"].Success ? (2, m.Groups["bin"].Value)
                : (10, m.Groups["dec"].Value);
            var value = Convert.ToInt64(body, radix);
            return new(Kind.Int, m.Groups["sign"].Value == "-" ? -value : value);
        }
        return YamlFloat().IsMatch(plain) ? new(Kind.Float, double.Parse(plain, CultureInfo.InvariantCulture)) : new(Kind.String, plain);
    }

    /// <summary>A plain scalar under the YAML 1.2 core schema.</summary>
    public static Typed Yaml12(string plain)
    {
        switch (plain)
        {
            case "" or "~" or "null" or "Null" or "NULL": return new(Kind.Null, null);
            case "true" or "True" or "TRUE": return new(Kind.Bool, true);
            case "false" or "False" or "FALSE": return new(Kind.Bool, false);
        }
        if (Special(plain) is { } special) return special;
        if (Regex.IsMatch(plain, "^[-+]?[0-9]+$")) return new(Kind.Int, long.Parse(plain, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        if (Regex.IsMatch(plain, "^0o[0-7]+$")) return new(Kind.Int, Convert.ToInt64(plain[2..], 8));
        if (Regex.IsMatch(plain, "^0x[0-9a-fA-F]+$")) return new(Kind.Int, Convert.ToInt64(plain[2..], 16));
        return YamlFloat().IsMatch(plain) ? new(Kind.Float, double.Parse(plain, CultureInfo.InvariantCulture)) : new(Kind.String, plain);
    }

    static Typed? Special(string plain) => plain switch
    {
        ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" => new(Kind.Float, double.PositiveInfinity),
        "-.inf" or "-.Inf" or "-.INF" => new(Kind.Float, double.NegativeInfinity),
        ".nan" or ".NaN" or ".NAN" => new(Kind.Float, double.NaN),
        _ => null,
    };

    [GeneratedRegex("^(?<sign>[-+]?)(0[xX](?<hex>[0-9a-fA-F]+)|0[oO]?(?<oct>[0-7]+)|0[bB](?<bin>[01]+)|(?<dec>[1-9][0-9]*|0))$")]
    private static partial Regex GoInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();

    /// <summary>A quoted, literal or folded scalar is a string whatever it holds; only plain ones are typed.</summary>
    public static Typed Type(YamlScalarNode scalar, Func<string, Typed> schema) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any ? schema(scalar.Value ?? "") : new(Kind.String, scalar.Value ?? "");

    /// <summary>
    /// The root nodes of a YAML text's documents, leaving out empty ones (only comments), which
    /// kubectl and Helm skip too: every YAML text the tests read, read here. A text that is no
    /// YAML fails naming its source and line.
    /// </summary>
    public static IReadOnlyList<YamlNode> Documents(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{source}:{e.Start.Line}: not YAML: {e.Message}", e);
        }
        return stream.Documents.Select(d => d.RootNode).Where(n => n is not YamlScalarNode { Value: null or "" }).ToList();
    }

    /// <summary>A YAML tree as the JSON kubectl sends and Helm's values are: its plain scalars typed as go-yaml v2 types them (YAML 1.1).</summary>
    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => ToJson(Type(scalar, Yaml11)),
        _ => throw new NotSupportedException($"line {node.Start.Line}: YAML {node.NodeType} nodes (aliases) are not supported"),
    };

    static JsonNode? ToJson(Typed scalar) => scalar.Kind switch
    {
        Kind.Null => null,
        Kind.Bool => JsonValue.Create((bool)scalar.Value!),
        Kind.Int => JsonValue.Create((long)scalar.Value!),
        Kind.Float => JsonValue.Create((double)scalar.Value!),
        _ => JsonValue.Create((string)scalar.Value!),
    };
}
