using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// `helm template` for helm/sweepcluster, done here: values.yaml with the release's values
/// coalesced over it and checked against values.schema.json, every template rendered by
/// <see cref="GoTemplate"/> with .Values, .Release, .Chart and .Files, the output split
/// into documents as Helm splits it, and every document read strictly by
/// <see cref="KubernetesManifest"/>. What it cannot do it refuses loudly: a function, keyword or
/// built-in object the chart does not use today (.Capabilities, .Template, lookup, tpl) is an error.
/// </summary>
public static partial class HelmRender
{
    /// <summary>A rendered release: its objects with the template each came from, and its notes.</summary>
    public sealed record Release(IReadOnlyList<(string Template, IKubernetesObject<V1ObjectMeta> Object)> Objects, string Notes);

    /// <summary>Renders the chart as `helm template NAME helm/sweepcluster -n NAMESPACE -f FILE -f ...` would.</summary>
    /// <param name="valueFiles">YAML texts, as values files given with -f: a later one wins.</param>
    public static Release Render(IEnumerable<string> valueFiles, string name = "sweepcluster", string ns = "sweepcluster")
    {
        var chart = HelmChart.ChartYaml();
        var merged = valueFiles.SelectMany(file => YamlScalars.Documents(file, "values file"))
            .Aggregate(YamlScalars.ToJson(HelmChart.Values())!.AsObject(), (values, document) => Coalesce(values, YamlScalars.ToJson(document)!.AsObject()));
        var results = HelmChart.ValidateValues(merged);
        if (!results.IsValid) throw new TemplateException($"values don't meet the specifications of the schema:\n{HelmChart.Errors(results)}");

        var templates = HelmChart.Templates();
        var root = new Dictionary<string, object?>
        {
            ["Values"] = HelmValues.FromJson(merged),
            ["Release"] = new Dictionary<string, object?> { ["Name"] = name, ["Namespace"] = ns, ["Service"] = "Helm" },
            ["Chart"] = ChartObject(chart),
            ["Files"] = new ChartFiles(),
        };
        var objects = new List<(string, IKubernetesObject<V1ObjectMeta>)>();
        var notes = "";
        // Helm renders each file but the helpers (_*); defines are no files.
        foreach (var template in templates.Entries.Where(t => t.Name == t.File && !Path.GetFileName(t.File).StartsWith('_')).Select(t => t.File).Order(StringComparer.Ordinal))
        {
            var output = templates.Execute(template, root);
            if (Path.GetFileName(template) == "NOTES.txt")
            {
                notes = output;
                continue;
            }
            foreach (var document in DocumentSeparator().Split(output).Where(d => d.Trim().Length > 0))
                objects.AddRange(KubernetesManifest.Parse(document, template + ", as rendered").Select(o => (template, o)));
        }
        return new Release(objects, notes);
    }

    /// <summary>Helm's releaseutil.SplitManifests separator.</summary>
    [GeneratedRegex(@"(?:^|\s*\n)---\s*")]
    private static partial Regex DocumentSeparator();

    /// <summary>.Chart: Chart.yaml's fields under Helm's names.</summary>
    static Dictionary<string, object?> ChartObject(YamlMappingNode chart)
    {
        var names = new Dictionary<string, string>
        {
            ["apiVersion"] = "APIVersion", ["name"] = "Name", ["version"] = "Version", ["appVersion"] = "AppVersion", ["description"] = "Description",
            ["type"] = "Type", ["kubeVersion"] = "KubeVersion", ["keywords"] = "Keywords",
        };
        var values = (Dictionary<string, object?>)HelmValues.FromJson(YamlScalars.ToJson(chart))!;
        return values.ToDictionary(
            e => names.TryGetValue(e.Key, out var helmName) ? helmName : throw new TemplateException($"Chart.yaml: '{e.Key}' is not supported by this renderer"),
            e => e.Value);
    }

    /// <summary>Helm's coalescing of a release's values over the chart's: maps merge key by key, and null removes a key.</summary>
    public static JsonObject Coalesce(JsonObject defaults, JsonObject overrides)
    {
        var result = (JsonObject)defaults.DeepClone();
        foreach (var (key, value) in overrides)
        {
            if (value is null) result.Remove(key);
            else if (value is JsonObject inner && result[key] is JsonObject existing) result[key] = Coalesce(existing, inner);
            else result[key] = value.DeepClone();
        }
        return result;
    }

    /// <summary>.Files: the chart's files outside templates/, read by .Files.Get.</summary>
    sealed class ChartFiles : GoTemplate.IMethods
    {
        public object? Call(string method, IReadOnlyList<object?> arguments)
        {
            if (method != "Get" || arguments is not [string path]) throw new TemplateException($".Files.{method} is not supported by this renderer");
            var file = Path.GetFullPath(Path.Combine(HelmChart.Folder, path));
            // Helm gives "" for a missing file; a chart that reads one has a typo, so this renderer refuses.
            if (!file.StartsWith(HelmChart.Folder + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(file)
                || path.StartsWith("templates/", StringComparison.Ordinal))
                throw new TemplateException($".Files.Get \"{path}\": no such file in the chart");
            return File.ReadAllText(file);
        }
    }
}
