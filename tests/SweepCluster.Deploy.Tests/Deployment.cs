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
    Deployment(string name, string prefix, bool tls, IReadOnlyList<(string Source, IKubernetesObject<V1ObjectMeta> Object)> objects, string? notes = null)
    {
        Name = name;
        Prefix = prefix;
        Tls = tls;
        Objects = objects;
        Notes = notes;
    }

    public string Name { get; }
    /// <summary>What every object name starts with: "sweepcluster", or the release's full name.</summary>
    public string Prefix { get; }
    /// <summary>Whether the deployment is meant to run remoting over TLS, as its definition says: the objects are checked against it.</summary>
    public bool Tls { get; }
    public IReadOnlyList<(string Source, IKubernetesObject<V1ObjectMeta> Object)> Objects { get; }
    /// <summary>The rendered NOTES.txt, for a chart deployment.</summary>
    public string? Notes { get; }

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

    /// <summary>The nvidia.com/gpu each worker pod asks for, 0 for CPU workers.</summary>
    public int WorkerGpus => Worker.Spec.Template.Spec.Containers[0].Resources.Limits?.TryGetValue("nvidia.com/gpu", out var gpus) == true
        ? int.Parse(gpus.ToString()) : 0;

    /// <summary>The example client Job, if the deployment has one.</summary>
    public V1Job? ExampleJob => OfKind<V1Job>().SingleOrDefault();

    /// <summary>The PostgreSQL StatefulSet, unless the database is external.</summary>
    public V1StatefulSet? Postgresql => OfKind<V1StatefulSet>().SingleOrDefault(s => s.Metadata.Name == Prefix + "-postgresql");

    public static readonly Deployment K8s = new("k8s", "sweepcluster", tls: false, Manifests.All());

    /// <summary>k8s/ with k8s/tls/node-tls-patch.yaml applied to both node workloads, as docs/deploy.md step 6 does.</summary>
    public static readonly Deployment K8sWithTls = new("k8s + TLS patch", "sweepcluster", tls: true, K8s.Objects
        .Select(o => ReferenceEquals(o.Object, K8s.Coordinator) || ReferenceEquals(o.Object, K8s.Worker)
            ? (o.Source + " + tls/node-tls-patch.yaml", Patched(o.Object, Manifests.TlsPatchJson))
            : o)
        .ToList());

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

    /// <summary>The chart rendered with the required values and these, as the release named `release`.</summary>
    static Deployment Chart(string label, string values, string release, bool tls)
    {
        var rendered = HelmRender.Render([RequiredValues, values], release);
        return new Deployment(label, release.Contains("sweepcluster", StringComparison.Ordinal) ? release : release + "-sweepcluster", tls,
            rendered.Objects, rendered.Notes);
    }

    /// <summary>The chart as installed by default: the deployment of k8s/.</summary>
    public static Deployment ChartDefaults => Named("chart");

    /// <summary>The values files of the chart's variations the tests render, by name, and whether each turns TLS on: every kind of install docs/deploy.md shows.</summary>
    static readonly (string Name, string Values, string Release, bool Tls)[] ChartVariations =
    [
        ("chart", "", "sweepcluster", false),
        ("chart: TLS", "tls: {enabled: true, secretName: sweepcluster-tls}", "sweepcluster", true),
        ("chart: external PostgreSQL", "postgresql: {internal: false, external: {host: db.example.com}, auth: {existingSecret: sweep-db}}", "sweepcluster", false),
        ("chart: 8 workers of 4 GPUs", "workers: {replicas: 8, gpus: 4}", "sweepcluster", false),
        ("chart: release prod, CPU workers", "workers: {gpus: 0, imageTagSuffix: \"\", nodeSelector: null, tolerations: []}", "prod", false),
    ];

    /// <summary>Rendered on first use, so that a variation that fails to render fails the tests using it, with its own message.</summary>
    static readonly IReadOnlyDictionary<string, Lazy<Deployment>> Rendered = ChartVariations
        .ToDictionary(v => v.Name, v => new Lazy<Deployment>(() => Chart(v.Name, v.Values, v.Release, v.Tls)));

    /// <summary>Each way the tests deploy, by name: k8s/ (plain, and with TLS), the chart's defaults, and variations of its values.</summary>
    public static Deployment Named(string name) => name == K8s.Name ? K8s : name == K8sWithTls.Name ? K8sWithTls : Rendered[name].Value;

    /// <summary>The names of <see cref="Named"/>, as the data of a theory run on every deployment.</summary>
    public static TheoryData<string> Names => [K8s.Name, K8sWithTls.Name, .. ChartVariations.Select(v => v.Name)];

    /// <summary>Labels written as "a=b,c=d": an equality-based label selector (SWEEP_DISCOVERY_LABEL_SELECTOR) or kubectl's --labels.</summary>
    public static Dictionary<string, string> ParseLabels(string labels) =>
        labels.Split(',').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
}
