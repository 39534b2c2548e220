using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using SweepCluster.Cli.Tests;
using YamlDotNet.RepresentationModel;
using static SweepCluster.Deploy.Tests.GoTemplate;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// helm/sweepcluster's files: its values and their schema, and its templates parsed by
/// <see cref="GoTemplate"/> for what rendering cannot show, such as a .Values path in a branch
/// no rendering takes (<see cref="HelmRender"/> renders them).
/// </summary>
public static partial class HelmChart
{
    public static readonly string Folder = Path.Combine(Sweep.RepositoryRoot, "helm", "sweepcluster");

    /// <summary>Every file of templates/ parsed into one template set, named as Helm names them (sweepcluster/templates/FILE).</summary>
    public static GoTemplate Templates()
    {
        var set = new GoTemplate(HelmFunctions.All);
        var chartName = ((YamlScalarNode)ChartYaml()["name"]).Value!;
        foreach (var file in Directory.GetFiles(Path.Combine(Folder, "templates")).Order(StringComparer.Ordinal))
            set.Add($"{chartName}/templates/{Path.GetFileName(file)}", File.ReadAllText(file));
        return set;
    }

    static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(Folder, "values.schema.json")));

    /// <summary>Values checked against values.schema.json, as Helm checks them before rendering.</summary>
    public static EvaluationResults ValidateValues(JsonNode? values) =>
        Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });

    public static string Errors(EvaluationResults results) => string.Join("\n", (results.Details ?? [])
        .Where(d => d.Errors is not null)
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));

    /// <summary>Chart.yaml, parsed.</summary>
    public static YamlMappingNode ChartYaml() => Mapping("Chart.yaml");

    /// <summary>values.yaml, parsed; as JSON (<see cref="YamlScalars.ToJson(YamlNode)"/>), what values.schema.json sees.</summary>
    public static YamlMappingNode Values() => Mapping("values.yaml");

    static YamlMappingNode Mapping(string file)
    {
        var path = Path.Combine(Folder, file);
        return (YamlMappingNode)YamlScalars.Documents(File.ReadAllText(path), Path.GetRelativePath(Sweep.RepositoryRoot, path)).Single();
    }

    /// <summary>The node at a dotted path ("workers.gpus") of values.yaml, or null if there is none.</summary>
    public static YamlNode? Resolve(YamlMappingNode values, string path)
    {
        YamlNode node = values;
        foreach (var key in path.Split('.'))
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var child)) return null;
            node = child;
        }
        return node;
    }

    /// <summary>
    /// Every path of values.yaml that holds a value rather than settings: scalars, lists, and
    /// maps that are passed on whole (an empty map, or one whose keys are not identifiers, such
    /// as nvidia.com/gpu.present).
    /// </summary>
    public static IEnumerable<string> LeafPaths(YamlMappingNode map, string prefix = "")
    {
        foreach (var (key, value) in map.Children)
        {
            var path = prefix + ((YamlScalarNode)key).Value;
            if (value is YamlMappingNode child && child.Children.Count > 0 && child.Children.Keys.All(k => Identifier().IsMatch(((YamlScalarNode)k).Value!)))
                foreach (var leaf in LeafPaths(child, path + ".")) yield return leaf;
            else yield return path;
        }
    }

    [GeneratedRegex(@"^[A-Za-z_]\w*$")]
    private static partial Regex Identifier();

    /// <summary>A .Values path a template reads, where; or a misuse of .Values where `.` is not the root.</summary>
    public sealed record ValuesReference(string File, int Line, string Path, string? Error = null);

    /// <summary>The built-in objects <see cref="HelmRender"/> provides.</summary>
    static readonly HashSet<string> BuiltIns = ["Values", "Release", "Chart", "Files"];

    /// <summary>
    /// The .Values paths a template body reads in every branch, taken or not, with `.` followed
    /// through with and range: inside `with .Values.x`, `.y` is x.y; inside range (or with anything
    /// else), `.` is an element whose fields are not checked, and `.Values` there is an error since
    /// `.` is not the root ($.Values is). Defines are read with `.` the root: every include passes it.
    /// </summary>
    public static IEnumerable<ValuesReference> ValuesReferences(string file, ListNode body) =>
        Pipelines<string?>(body, "", (block, dot) => block is WithNode { Value: var value } ? WithDot(value, dot) : null)
            .SelectMany(p => References(file, p.Pipeline, p.Dot));

    static IEnumerable<ValuesReference> References(string file, Pipeline pipeline, string? dot)
    {
        foreach (var expr in Exprs(pipeline))
        {
            if (expr is VariableExpr { Name: "$", Fields: ["Values", _, ..] } root)
                yield return new ValuesReference(file, pipeline.Line, string.Join('.', root.Fields.Skip(1)));
            if (expr is not FieldExpr { Fields: [var first, ..] fields }) continue;
            var chain = string.Join('.', fields);
            if (dot == "")
            {
                if (first == "Values" && fields.Count > 1) yield return new ValuesReference(file, pipeline.Line, chain["Values.".Length..]);
                else if (!BuiltIns.Contains(first)) yield return new ValuesReference(file, pipeline.Line, chain, $".{chain} at the root is no built-in object");
            }
            else if (first == "Values") yield return new ValuesReference(file, pipeline.Line, chain, $".{chain} where `.` is not the root: use $.{chain}");
            else if (dot is not null) yield return new ValuesReference(file, pipeline.Line, dot + "." + chain);
        }
    }

    /// <summary>The values path `.` is inside `with PIPELINE`, if the pipeline is one .Values path.</summary>
    static string? WithDot(Pipeline value, string? dot) => value.Commands is [{ Operands: [var operand] }]
        ? operand switch
        {
            FieldExpr { Fields: ["Values", _, ..] f } when dot == "" => string.Join('.', f.Skip(1)),
            VariableExpr { Name: "$", Fields: ["Values", _, ..] f } => string.Join('.', f.Skip(1)),
            _ => null,
        }
        : null;

    /// <summary>An include: the helper it names and whether it passes the root (`.` where `.` is the root, or `$`).</summary>
    public sealed record Include(string File, int Line, string Name, bool PassesRoot);

    /// <summary>Every include of a body, in nested calls too; `.` passes the root only where `.` is the root (outside with and range).</summary>
    public static IEnumerable<Include> Includes(string file, ListNode body) => Pipelines(body, true, (_, _) => false)
        .SelectMany(p => Commands(p.Pipeline).Select(c => (p.Pipeline.Line, DotIsRoot: p.Dot, c.Operands)))
        .Where(c => c.Operands is [FunctionExpr { Name: "include" }, ..])
        .Select(c => c.Operands is [_, ConstantExpr { Value: string name }, var argument]
            ? new Include(file, c.Line, name, argument is VariableExpr { Name: "$", Fields.Count: 0 } || (argument is DotExpr && c.DotIsRoot))
            : throw new TemplateException($"{file}:{c.Line}: include takes a helper's name and one argument"));
}
