using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// Two Kubernetes objects compared field by field, as the JSON the API server would receive.
/// Lists of named things (containers, env entries, ports, volumes, mounts) are matched by name,
/// since their order means nothing to Kubernetes (an env entry's $(NAME) references are checked
/// apart, by NodeEnvironment); every other list by position.
/// </summary>
public static class ObjectDifferences
{
    public static JsonNode Json(IKubernetesObject<V1ObjectMeta> o) => JsonNode.Parse(KubernetesJson.Serialize(o))!;

    /// <summary>Every difference, as "path: expected ... but found ...".</summary>
    public static IReadOnlyList<string> Between(JsonNode? expected, JsonNode? actual)
    {
        var differences = new List<string>();
        Compare(expected, actual, "", differences);
        return differences;
    }

    static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> differences)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)).Order(StringComparer.Ordinal))
                {
                    var child = $"{path}.{key}";
                    if (!a.ContainsKey(key)) differences.Add($"{child}: missing (expected {e[key]?.ToJsonString()})");
                    else if (!e.ContainsKey(key)) differences.Add($"{child}: not expected (found {a[key]?.ToJsonString()})");
                    else Compare(e[key], a[key], child, differences);
                }
                break;
            case (JsonArray e, JsonArray a) when Named(e) && Named(a):
                var expectedByName = e.ToDictionary(x => (string)x!["name"]!);
                var actualByName = a.ToDictionary(x => (string)x!["name"]!);
                foreach (var name in expectedByName.Keys.Union(actualByName.Keys).Order(StringComparer.Ordinal))
                    Compare(expectedByName.GetValueOrDefault(name), actualByName.GetValueOrDefault(name), $"{path}[{name}]", differences);
                break;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
                    Compare(i < e.Count ? e[i] : null, i < a.Count ? a[i] : null, $"{path}[{i}]", differences);
                break;
            default:
                if (expected?.ToJsonString() != actual?.ToJsonString())
                    differences.Add($"{path}: expected {expected?.ToJsonString() ?? "nothing"} but found {actual?.ToJsonString() ?? "nothing"}");
                break;
        }
    }

    static bool Named(JsonArray list) => list.Count > 0 && list.All(x => x is JsonObject o && o["name"] is JsonValue) &&
        list.Select(x => (string)x!["name"]!).Distinct().Count() == list.Count;
}
