using k8s;
using k8s.Models;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// One way of deploying SweepCluster, as the objects it creates: the plain manifests of k8s/, or
/// helm/sweepcluster rendered with some values. The cross-reference tests run on each, so the
/// chart's variations are held to the same rules as the manifests.
/// </summary>
public sealed class Deployment
{
    Deployment(string name, string prefix, IReadOnlyList<(string Source, IKubernetesObject<V1ObjectMeta> Object)> objects, HelmRender.Release? release = null)
    {
        Name = name;
        Prefix = prefix;
        Objects = objects;
        Release = release;
    }

    public string Name { get; }
    /// <summary>What every object name starts with: "sweepcluster", or the release's full name.</summary>
    public string Prefix { get; }
    public IReadOnlyList<(string Source, IKubernetesObject<V1ObjectMeta> Object)> Objects { get; }
    /// <summary>The rendered chart, for a chart deployment.</summary>
    public HelmRender.Release? Release { get; }

    public override string ToString() => Name;

    public IEnumerable<T> OfKind<T>() => Objects.Select(o => o.Object).OfType<T>();

    /// <summary>The object of this kind named the prefix and the suffix given ("-coordinator").</summary>
    public T Named<T>(string suffix = "") where T : IKubernetesObject<V1ObjectMeta>
    {
        var name = Prefix + suffix;
        var found = OfKind<T>().Where(o => o.Metadata.Name == name).ToList();
        return found.Count == 1 ? found[0] : throw new InvalidOperationException($"{Name}: {found.Count} {typeof(T).Name} named {name}");
    }

    public V1StatefulSet Coordinator => Named<V1StatefulSet>("-coordinator");
    public V1Deployment Worker => Named<V1Deployment>("-worker");

    /// <summary>The pod templates of the cluster nodes, by component.</summary>
    public IReadOnlyDictionary<string, V1PodTemplateSpec> NodeTemplates => new Dictionary<string, V1PodTemplateSpec>
    {
        ["coordinator"] = Coordinator.Spec.Template,
        ["worker"] = Worker.Spec.Template,
    };

    /// <summary>Plain env values of a pod's first container (not the ones from valueFrom).</summary>
    public static IReadOnlyDictionary<string, string> Env(V1PodTemplateSpec template) => template.Spec.Containers[0].Env
        .Where(e => e.Value is not null)
        .ToDictionary(e => e.Name, e => e.Value);

    /// <summary>The env entries of a pod's first container, in order, as NodeEnvironment checks them.</summary>
    public static IReadOnlyList<NodeEnvironment.Entry> Entries(V1PodTemplateSpec template) =>
        template.Spec.Containers[0].Env.Select(e => new NodeEnvironment.Entry(e.Name, e.Value)).ToList();

    /// <summary>The node workloads' containers have SWEEP_TLS_CERTIFICATE: remoting over TLS.</summary>
    public bool Tls => NodeTemplates.Values.All(t => Env(t).ContainsKey("SWEEP_TLS_CERTIFICATE"));

    /// <summary>The nvidia.com/gpu each worker pod asks for, 0 for CPU workers.</summary>
    public int WorkerGpus => Worker.Spec.Template.Spec.Containers[0].Resources.Limits?.TryGetValue("nvidia.com/gpu", out var gpus) == true
        ? int.Parse(gpus.ToString()) : 0;

    /// <summary>The example client Job, if the deployment has one.</summary>
    public V1Job? ExampleJob => OfKind<V1Job>().SingleOrDefault();

    /// <summary>The PostgreSQL StatefulSet, unless the database is external.</summary>
    public V1StatefulSet? Postgresql => OfKind<V1StatefulSet>().SingleOrDefault(s => s.Metadata.Name == Prefix + "-postgresql");

    public static readonly Deployment K8s = new("k8s", "sweepcluster", Manifests.All());

    /// <summary>k8s/ with k8s/tls/node-tls-patch.yaml applied to both node workloads, as docs/deploy.md step 6 does.</summary>
    public static readonly Deployment K8sWithTls = new("k8s + TLS patch", "sweepcluster", K8s.Objects
        .Select(o => o.Object is V1StatefulSet or V1Deployment && K8s.NodeTemplates.Values.Contains(PodTemplate(o.Object))
            ? (o.Source + " + tls/node-tls-patch.yaml", Patched(o.Object, Manifests.TlsPatchJson))
            : o)
        .ToList());

    static V1PodTemplateSpec? PodTemplate(IKubernetesObject<V1ObjectMeta> o) => o switch
    {
        V1StatefulSet s => s.Spec.Template,
        V1Deployment d => d.Spec.Template,
        _ => null,
    };

    /// <summary>An object with a strategic-merge patch applied, as `kubectl patch` would.</summary>
    public static IKubernetesObject<V1ObjectMeta> Patched(IKubernetesObject<V1ObjectMeta> o, System.Text.Json.Nodes.JsonNode patch)
    {
        var json = StrategicMerge.Apply(ObjectDifferences.Json(o), patch).ToJsonString();
        return o switch
        {
            V1StatefulSet => KubernetesJson.Deserialize<V1StatefulSet>(json),
            V1Deployment => KubernetesJson.Deserialize<V1Deployment>(json),
            V1Job => KubernetesJson.Deserialize<V1Job>(json),
            _ => throw new NotSupportedException(o.Kind),
        };
    }

    /// <summary>The values every rendering gives: the chart requires a database password, and this is k8s/'s.</summary>
    public const string RequiredValues = "postgresql: {auth: {password: change-me}}";

    /// <summary>The chart rendered with the required values and these, as release `name`.</summary>
    public static Deployment Chart(string label, string values = "", string release = "sweepcluster")
    {
        var rendered = HelmRender.Render([RequiredValues, values], release);
        return new Deployment(label, release.Contains("sweepcluster", StringComparison.Ordinal) ? release : release + "-sweepcluster",
            rendered.Objects, rendered);
    }

    /// <summary>The chart as installed by default: the deployment of k8s/.</summary>
    public static Deployment ChartDefaults => Named("chart");

    /// <summary>The values files of the chart's variations the tests render, by name: every kind of install docs/deploy.md shows.</summary>
    static readonly (string Name, string Values, string Release)[] ChartVariations =
    [
        ("chart", "", "sweepcluster"),
        ("chart: TLS", "tls: {enabled: true, secretName: sweepcluster-tls}", "sweepcluster"),
        ("chart: external PostgreSQL", "postgresql: {internal: false, external: {host: db.example.com}, auth: {existingSecret: sweep-db}}", "sweepcluster"),
        ("chart: 8 workers of 4 GPUs", "workers: {replicas: 8, gpus: 4}", "sweepcluster"),
        ("chart: release prod, CPU workers", "workers: {gpus: 0, imageTagSuffix: \"\", nodeSelector: null, tolerations: []}", "prod"),
    ];

    /// <summary>Rendered on first use, so that a variation that fails to render fails the tests using it, with its own message.</summary>
    static readonly IReadOnlyDictionary<string, Lazy<Deployment>> Rendered = ChartVariations
        .ToDictionary(v => v.Name, v => new Lazy<Deployment>(() => Chart(v.Name, v.Values, v.Release)));

    /// <summary>Each way the tests deploy, by name: k8s/ (plain, and with TLS), the chart's defaults, and variations of its values.</summary>
    public static Deployment Named(string name) => name == K8s.Name ? K8s : name == K8sWithTls.Name ? K8sWithTls : Rendered[name].Value;

    public static IReadOnlyList<string> AllNames => [K8s.Name, K8sWithTls.Name, .. ChartVariations.Select(v => v.Name)];

    public static TheoryData<string> Names => [.. AllNames];
}
