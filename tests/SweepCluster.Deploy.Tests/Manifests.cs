using k8s;
using k8s.Models;
using SweepCluster.Cli.Tests;

namespace SweepCluster.Deploy.Tests;

/// <summary>The plain manifests in k8s/, parsed strictly into the Kubernetes object models.</summary>
public static class Manifests
{
    public static readonly string Folder = Path.Combine(Sweep.RepositoryRoot, "k8s");

    /// <summary>Every object of every file, read by <see cref="KubernetesManifest"/>: a field the model lacks or of the wrong type fails.</summary>
    public static IReadOnlyList<(string File, IKubernetesObject<V1ObjectMeta> Object)> All() => Directory
        .GetFiles(Folder, "*.yaml")
        .OrderBy(f => f, StringComparer.Ordinal)
        .SelectMany(f => KubernetesManifest.Parse(File.ReadAllText(f), Path.GetRelativePath(Sweep.RepositoryRoot, f))
            .Select(o => (Path.GetFileName(f), o)))
        .ToList();

    /// <summary>k8s/tls/: the optional strategic-merge patch that turns TLS on in both node workloads.</summary>
    static readonly string TlsPatchFile = Path.Combine(Folder, "tls", "node-tls-patch.yaml");

    /// <summary>The TLS patch, parsed strictly as the workload it patches (a patch is a partial object).</summary>
    public static V1StatefulSet TlsPatch => KubernetesManifest.ParsePart<V1StatefulSet>(File.ReadAllText(TlsPatchFile), Path.GetRelativePath(Sweep.RepositoryRoot, TlsPatchFile));

    /// <summary>The TLS patch as JSON, as kubectl sends it.</summary>
    public static System.Text.Json.Nodes.JsonNode TlsPatchJson =>
        YamlScalars.ToJson(YamlScalars.Documents(File.ReadAllText(TlsPatchFile), Path.GetRelativePath(Sweep.RepositoryRoot, TlsPatchFile)).Single())!;
}
