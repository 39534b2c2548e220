using System.Text.Json.Nodes;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// `kubectl patch` with a strategic-merge patch, for the lists a pod patch touches: maps merge key
/// by key; containers, env entries and volumes are matched by name and volume mounts by mountPath
/// (their merge keys in the Kubernetes API), the others added; any other value is replaced.
/// </summary>
public static class StrategicMerge
{
    public static JsonNode Apply(JsonNode target, JsonNode patch)
    {
        switch (target, patch)
        {
            case (JsonObject t, JsonObject p):
                var merged = (JsonObject)t.DeepClone();
                foreach (var (key, value) in p)
                    merged[key] = merged[key] is { } existing && value is not null ? Apply(existing, value) : value?.DeepClone();
                return merged;
            case (JsonArray t, JsonArray p) when MergeKey(p) is { } key:
                var list = (JsonArray)t.DeepClone();
                foreach (var item in p)
                {
                    var index = list.Select((x, i) => (x, i)).Where(e => e.x?[key]?.ToJsonString() == item![key]!.ToJsonString()).Select(e => e.i).FirstOrDefault(-1);
                    if (index >= 0) list[index] = Apply(list[index]!, item!);
                    else list.Add(item!.DeepClone());
                }
                return list;
            default:
                return patch.DeepClone();
        }
    }

    static string? MergeKey(JsonArray items) =>
        items.Count > 0 && items.All(i => i is JsonObject o && o.ContainsKey("mountPath")) ? "mountPath"
        : items.Count > 0 && items.All(i => i is JsonObject o && o.ContainsKey("name")) ? "name"
        : null;
}
