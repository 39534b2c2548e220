using k8s;
using k8s.Models;
using SweepCluster.Cli.Tests;

namespace SweepCluster.Deploy.Tests;

/// <summary>The plain manifests in k8s/, parsed strictly into the Kubernetes object models.</summary>
public static class Manifests
{
    public static readonly string Folder = Path.Combine(Sweep.RepositoryRoot, "k8s");

    /// <summary>Every object of every file, read by <see cref="KubernetesManifest"/>: a field the model lacks or of the wrong type fails.</summary>
    public static IReadOnlyList<(string File, IKubernetesObject Object)> All() => Directory
        .GetFiles(Folder, "*.yaml")
        .OrderBy(f => f, StringComparer.Ordinal)
        .SelectMany(f => KubernetesManifest.Parse(File.ReadAllText(f), Path.GetRelativePath(Sweep.RepositoryRoot, f))
            .Select(o => (Path.GetFileName(f), (IKubernetesObject)o)))
        .ToList();

    public static T Single<T>(string name) where T : IKubernetesObject<V1ObjectMeta> =>
        All().Select(o => o.Object).OfType<T>().Single(o => o.Metadata.Name == name);

    public static V1StatefulSet Coordinator => Single<V1StatefulSet>("sweepcluster-coordinator");
    public static V1Deployment Worker => Single<V1Deployment>("sweepcluster-worker");

    /// <summary>The pod templates of the cluster nodes, by component.</summary>
    public static IReadOnlyDictionary<string, V1PodTemplateSpec> NodeTemplates => new Dictionary<string, V1PodTemplateSpec>
    {
        ["coordinator"] = Coordinator.Spec.Template,
        ["worker"] = Worker.Spec.Template,
    };

    /// <summary>k8s/tls/: the optional strategic-merge patch that turns TLS on in both node workloads.</summary>
    public static readonly string TlsPatchFile = Path.Combine(Folder, "tls", "node-tls-patch.yaml");

    /// <summary>The TLS patch, parsed strictly as the workload it patches (a patch is a partial object).</summary>
    public static V1StatefulSet TlsPatch => KubernetesManifest.ParsePart<V1StatefulSet>(File.ReadAllText(TlsPatchFile), Path.GetRelativePath(Sweep.RepositoryRoot, TlsPatchFile));

    /// <summary>Plain env values of a pod's first container (not the ones from valueFrom).</summary>
    public static IReadOnlyDictionary<string, string> Env(V1PodTemplateSpec template) => template.Spec.Containers[0].Env
        .Where(e => e.Value is not null)
        .ToDictionary(e => e.Name, e => e.Value);
}
