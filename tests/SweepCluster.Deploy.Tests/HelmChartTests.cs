using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using k8s.Models;
using SweepCluster.Cli.Tests;
using SweepCluster.Cluster.Hosting;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// helm/sweepcluster: its values against their schema, what its templates refer to in every
/// branch, and its renderings (<see cref="HelmRender"/>) against k8s/, which the defaults must
/// deploy alike, object for object and field for field.
/// </summary>
public sealed class HelmChartTests
{
    [Fact]
    public void Chart_yaml_is_a_v2_chart_named_sweepcluster_with_a_semver_version_and_an_app_version()
    {
        var chart = HelmChart.ChartYaml();
        string Field(string key) => ((YamlScalarNode)chart[key]).Value!;
        Assert.Equal("v2", Field("apiVersion"));
        Assert.Equal("sweepcluster", Field("name"));
        // semver.org's regular expression for a version.
        Assert.Matches(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
            Field("version"));
        Assert.False(string.IsNullOrWhiteSpace(Field("appVersion")));
    }

    [Fact]
    public void Values_yaml_satisfies_the_schema()
    {
        var results = HelmChart.ValidateValues(YamlScalars.ToJson(HelmChart.Values()));
        Assert.True(results.IsValid, HelmChart.Errors(results));
    }

    [Theory]
    [InlineData("workers.replicas", "two")]
    [InlineData("workers.replica", "3")]
    [InlineData("workers.gpus", "-1")]
    [InlineData("coordinator.replicas", "0")]
    [InlineData("cluster.remotingPort", "70000")]
    [InlineData("image.pullPolicy", "Sometimes")]
    [InlineData("postgresql.internal", "no-thanks")]
    [InlineData("unknown", "{}")]
    // An external database needs its host and a Secret with its credentials.
    [InlineData("postgresql.internal", "false")]
    // TLS needs its Secret; a key must name a file of it.
    [InlineData("tls.enabled", "true")]
    [InlineData("tls.certificate", "\"\"")]
    [InlineData("tls.key", "../tls.key")]
    // Accepting any certificate while trusting only a CA is a contradiction.
    [InlineData("tls.suppressValidation", "true")]
    public void The_schema_rejects_a_wrong_type_an_unknown_key_or_an_impossible_value(string path, string yaml)
    {
        var values = WithValue(path, yaml);
        Assert.False(HelmChart.ValidateValues(values).IsValid, $"{path}: {yaml} was accepted");
    }

    [Fact]
    public void The_schema_accepts_an_external_database_with_its_host_and_secret()
    {
        var values = WithValue("postgresql.internal", "false");
        values["postgresql"]!["external"]!["host"] = "db.example.com";
        values["postgresql"]!["auth"]!["existingSecret"] = "sweep-db";
        var results = HelmChart.ValidateValues(values);
        Assert.True(results.IsValid, HelmChart.Errors(results));
    }

    [Fact]
    public void The_schema_accepts_tls_from_a_kubernetes_io_tls_secret_or_a_pfx_with_its_password_file()
    {
        var values = WithValue("tls.enabled", "true");
        values["tls"]!["secretName"] = "sweepcluster-tls";
        var results = HelmChart.ValidateValues(values);
        Assert.True(results.IsValid, HelmChart.Errors(results));
        values["tls"]!["certificate"] = "tls.pfx";
        values["tls"]!["key"] = "";
        values["tls"]!["passwordFile"] = "password";
        results = HelmChart.ValidateValues(values);
        Assert.True(results.IsValid, HelmChart.Errors(results));
    }

    /// <summary>values.yaml with one value set, written as YAML and so typed as in a values file.</summary>
    static JsonNode WithValue(string path, string yaml)
    {
        var values = YamlScalars.ToJson(HelmChart.Values())!;
        var keys = path.Split('.');
        var parent = keys[..^1].Aggregate(values, (node, key) => node[key]!);
        parent[keys[^1]] = YamlScalars.ToJson(YamlScalars.Documents("v: " + yaml, path).Single()["v"]);
        return values;
    }

    [Fact]
    public void Every_Values_reference_in_the_templates_exists_in_values_yaml()
    {
        var values = HelmChart.Values();
        var references = HelmChart.Templates().Entries.SelectMany(t => HelmChart.ValuesReferences(t.File, t.Body)).ToList();
        Assert.Contains(references, r => r.Path == "workers.gpus");
        var bad = references.Where(r => r.Error is not null || HelmChart.Resolve(values, r.Path) is null)
            .Select(r => $"{r.File}:{r.Line}: {r.Error ?? r.Path + " is not in values.yaml"}").ToList();
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [Fact]
    public void A_Values_reference_where_dot_is_not_the_root_or_a_missing_path_is_caught()
    {
        const string template = """
            {{- with .Values.workers }}
            replicas: {{ .replicas }}
            gpus: {{ .Values.workers.gpus }}
            {{- end }}
            {{- range .Values.workers.tolerations }}
            key: {{ .key }} {{ $.Values.workers.nodeSelector | toYaml }}
            {{- end }}
            x: {{ .Values.workers.gpu }}
            {{- if .Values.tls.enabled }}{{ else }}{{ default 1 (.Values.coordinator.replicas) }}{{ end }}
            """;
        var set = new GoTemplate(HelmFunctions.All);
        set.Add("t.yaml", template);
        var references = HelmChart.ValuesReferences("t.yaml", set["t.yaml"]).ToList();
        Assert.Contains(references, r => r is { Path: "workers.replicas", Error: null });
        Assert.Contains(references, r => r is { Line: 3, Error: not null });
        Assert.Contains(references, r => r is { Path: "workers.nodeSelector", Error: null });
        Assert.DoesNotContain(references, r => r.Path.EndsWith("key", StringComparison.Ordinal));
        // In a branch no rendering with the defaults takes, too.
        Assert.Contains(references, r => r is { Line: 9, Path: "coordinator.replicas" });
        Assert.Null(HelmChart.Resolve(HelmChart.Values(), references.Single(r => r.Line == 8).Path));
    }

    [Fact]
    public void Every_value_in_values_yaml_is_read_by_a_template()
    {
        var references = HelmChart.Templates().Entries.SelectMany(t => HelmChart.ValuesReferences(t.File, t.Body)).Select(r => r.Path).ToHashSet();
        var unused = HelmChart.LeafPaths(HelmChart.Values())
            .Where(leaf => !references.Any(r => leaf == r || leaf.StartsWith(r + ".", StringComparison.Ordinal))).ToList();
        Assert.True(unused.Count == 0, "values no template reads: " + string.Join(", ", unused));
    }

    [Fact]
    public void Every_include_names_a_helper_and_passes_the_root_every_helper_is_used_and_only_the_helpers_file_defines()
    {
        var set = HelmChart.Templates();
        var defines = set.Entries.Where(t => t.Name != t.File).ToList();
        Assert.Contains(defines, d => d.Name == "sweepcluster.fullname");
        Assert.All(defines, d => Assert.Equal("sweepcluster/templates/_helpers.tpl", d.File));
        var includes = set.Entries.SelectMany(t => HelmChart.Includes(t.File, t.Body)).ToList();
        Assert.Empty(includes.Select(i => i.Name).Except(defines.Select(d => d.Name)));
        Assert.Empty(defines.Select(d => d.Name).Except(includes.Select(i => i.Name)));
        // Helpers read .Values and .Release from `.`: each must be given the root.
        Assert.All(includes, i => Assert.True(i.PassesRoot, $"{i.File}:{i.Line}: include \"{i.Name}\" without the root"));
    }

    /// <summary>A rendering's objects by kind and name, as JSON, with what Helm adds to k8s/'s removed.</summary>
    static Dictionary<string, JsonNode> Comparable(Deployment d) => d.Objects
        .Where(o => o.Object is not V1Namespace)
        .ToDictionary(o => $"{o.Object.Kind} {o.Object.Metadata.Name}", o => WithoutHelmAdditions(ObjectDifferences.Json(o.Object)));

    /// <summary>
    /// The differences between the chart and k8s/ that are by design, and only those: Helm's labels
    /// (the chart and version, managed-by, the app version, and the release's instance label, which
    /// selectors and the discovery selector also carry to keep two releases apart), and the example
    /// Job's hook annotations (a post-install hook, since an upgrade cannot change a Job). The
    /// release compared with k8s/ is sweepcluster, the name k8s/ uses.
    /// </summary>
    static JsonNode WithoutHelmAdditions(JsonNode node)
    {
        string[] helmLabels = ["helm.sh/chart", "app.kubernetes.io/managed-by", "app.kubernetes.io/version", "app.kubernetes.io/instance"];
        string[] hookAnnotations = ["helm.sh/hook", "helm.sh/hook-delete-policy"];
        void Walk(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var (key, value) in o.ToList())
                    {
                        if (key is "labels" or "matchLabels" or "selector" && value is JsonObject labels && labels.All(l => l.Value is JsonValue))
                            foreach (var label in helmLabels) labels.Remove(label);
                        if (key == "annotations" && value is JsonObject annotations)
                        {
                            foreach (var annotation in hookAnnotations) annotations.Remove(annotation);
                            if (annotations.Count == 0) o.Remove(key);
                        }
                        if (key == "value" && o["name"]?.GetValue<string>() == "SWEEP_DISCOVERY_LABEL_SELECTOR")
                            o[key] = string.Join(',', value!.GetValue<string>().Split(',').Where(p => p != "app.kubernetes.io/instance=sweepcluster"));
                        Walk(o[key]);
                    }
                    break;
                case JsonArray a:
                    foreach (var item in a) Walk(item);
                    break;
            }
        }
        var copy = node.DeepClone();
        Walk(copy);
        return copy;
    }

    static void AssertSame(IReadOnlyDictionary<string, JsonNode> expected, IReadOnlyDictionary<string, JsonNode> actual)
    {
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        var differences = expected.SelectMany(e => ObjectDifferences.Between(e.Value, actual[e.Key]).Select(d => e.Key + d)).ToList();
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_default_rendering_is_k8s_object_for_object_and_field_for_field_but_for_what_helm_adds_and_the_namespace()
    {
        var k8s = Deployment.K8s;
        Assert.Equal(["Namespace"], k8s.Objects.Select(o => o.Object.Kind).Except(Deployment.ChartDefaults.Objects.Select(o => o.Object.Kind)));
        AssertSame(Comparable(k8s), Comparable(Deployment.ChartDefaults));
        // What is removed before comparing is there.
        var worker = Deployment.ChartDefaults.Worker;
        Assert.Equal("Helm", worker.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("sweepcluster", worker.Spec.Selector.MatchLabels["app.kubernetes.io/instance"]);
        Assert.Equal("post-install", Deployment.ChartDefaults.ExampleJob!.Metadata.Annotations["helm.sh/hook"]);
    }

    [Fact]
    public void With_tls_enabled_the_rendering_is_k8s_with_its_tls_patch_on_the_nodes_and_on_the_example_job_s_client()
    {
        var expected = Comparable(Deployment.K8sWithTls);
        // k8s/'s Job is a plain client, the chart's presents the nodes' certificate: the same patch, on its container.
        var job = Deployment.K8s.ExampleJob!;
        var patch = Manifests.TlsPatchJson.DeepClone();
        patch["spec"]!["template"]!["spec"]!["containers"]![0]!["name"] = job.Spec.Template.Spec.Containers[0].Name;
        expected[$"Job {job.Metadata.Name}"] = WithoutHelmAdditions(ObjectDifferences.Json(Deployment.Patched(job, patch)));
        var tls = Deployment.Named("chart: TLS");
        var actual = Comparable(tls);
        // ... and addresses the cluster as akka.ssl.tcp://.
        var args = (JsonArray)actual[$"Job {job.Metadata.Name}"]["spec"]!["template"]!["spec"]!["containers"]![0]!["args"]!;
        Assert.StartsWith(RemoteTls.Protocol + "://", args[3]!.GetValue<string>());
        args[3] = args[3]!.GetValue<string>().Replace(RemoteTls.Protocol, RemoteTls.PlainProtocol, StringComparison.Ordinal);
        AssertSame(expected, actual);
    }

    [Fact]
    public void An_external_database_takes_out_the_postgresql_objects_and_its_policy_and_nothing_else()
    {
        var external = Comparable(Deployment.Named("chart: external PostgreSQL"));
        var defaults = Comparable(Deployment.ChartDefaults);
        Assert.Equal(["NetworkPolicy sweepcluster-postgresql", "Secret sweepcluster-postgresql", "Service sweepcluster-postgresql", "StatefulSet sweepcluster-postgresql"],
            defaults.Keys.Except(external.Keys).Order(StringComparer.Ordinal));
        Assert.Empty(external.Keys.Except(defaults.Keys));
    }

    [Fact]
    public void A_second_release_in_the_namespace_has_its_own_names_and_its_nodes_never_find_or_admit_the_first_release_s()
    {
        var first = Deployment.ChartDefaults;
        var prod = Deployment.Named("chart: release prod, CPU workers");
        Assert.Empty(first.Objects.Select(o => $"{o.Object.Kind} {o.Object.Metadata.Name}").Intersect(prod.Objects.Select(o => $"{o.Object.Kind} {o.Object.Metadata.Name}")));
        Assert.All(prod.Objects, o => Assert.StartsWith("prod-sweepcluster", o.Object.Metadata.Name));
        foreach (var template in prod.NodeTemplates.Values)
            Assert.Equal("prod", Deployment.ParseLabels(Deployment.Env(template)["SWEEP_DISCOVERY_LABEL_SELECTOR"])["app.kubernetes.io/instance"]);
        Assert.All(first.NodeTemplates.Values, other => Assert.NotEqual("prod", other.Metadata.Labels["app.kubernetes.io/instance"]));
        Assert.Equal("prod", prod.Named<V1NetworkPolicy>().Spec.PodSelector.MatchLabels["app.kubernetes.io/instance"]);
    }

    [Theory]
    // Checked by the schema before anything renders, as helm install does.
    [InlineData("workers: {replicas: two}", "/workers/replicas")]
    [InlineData("tls: {enabled: true}", "/tls/secretName")]
    // The template's own checks.
    [InlineData("postgresql: {auth: {password: \"\"}}", "postgresql.auth.password: the database password")]
    [InlineData("serviceAccount: {create: false}", "serviceAccount.name: the existing ServiceAccount")]
    public void Values_helm_would_refuse_fail_to_render_with_the_value_named(string values, string message)
    {
        var e = Assert.Throws<TemplateException>(() => HelmRender.Render([Deployment.RequiredValues, values]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task Notes_run_only_commands_and_options_the_sweep_program_has()
    {
        var d = Deployment.ChartDefaults;
        var notes = d.Notes!;
        await AssertSweepCommands(notes, d.Coordinator.Spec.Template.Spec.Containers[0].Image, ["submit", "list", "watch", "report", "results", "validate"]);
        // The report is copied from where it was written, in the pod the notes name.
        var pod = d.Coordinator.Metadata.Name + "-0";
        var written = Regex.Match(notes, @"report SWEEP_ID --out (\S+)").Groups[1].Value;
        Assert.Contains($"kubectl -n sweepcluster cp -c sweep {pod}:{written} ./report", notes);
        Assert.StartsWith("/tmp/", written);
        // The client labels the notes give are the ones the NetworkPolicy admits.
        foreach (var (key, value) in ClientSelector(d)) Assert.Contains($"{key}={value}", notes);
        Assert.Contains("helm upgrade sweepcluster CHART -n sweepcluster --reuse-values --set workers.replicas=N", notes);
    }

    [Fact]
    public async Task Docs_deploy_md_runs_only_commands_and_options_the_sweep_program_has_with_the_client_labels_the_policy_admits()
    {
        var docs = File.ReadAllText(Path.Combine(Sweep.RepositoryRoot, "docs", "deploy.md"));
        var k8s = Deployment.K8s;
        await AssertSweepCommands(docs, k8s.Coordinator.Spec.Template.Spec.Containers[0].Image,
            ["watch", "report", "results", "validate", "validate", "submit", "watch", "report", "results"]);
        var labels = Deployment.ParseLabels(Regex.Match(docs, @"kubectl -n sweepcluster run sweep-client .*\s+--labels=(\S+)").Groups[1].Value);
        Assert.Equal(ClientSelector(k8s).OrderBy(l => l.Key), labels.OrderBy(l => l.Key));
        Assert.Contains("kubectl -n sweepcluster cp -c sweep $POD:/tmp/report ./report", docs);
    }

    /// <summary>The labels the NetworkPolicy admits to remoting, not to management: a client's.</summary>
    static IDictionary<string, string> ClientSelector(Deployment d) => d.Named<V1NetworkPolicy>().Spec.Ingress
        .Single(r => r.Ports.Count == 1 && r.Ports[0].Port.Value == SweepAkka.RemotingPortName).FromProperty.Single().PodSelector.MatchLabels;

    /// <summary>
    /// The `sweep` commands a text runs, in a pod (dotnet /app/sweep.dll ...), from the image (docker run
    /// ... IMAGE ...) or from a build (.../sweep ...), in order; each command and option must be one the program has.
    /// </summary>
    static async Task AssertSweepCommands(string text, string image, string[] expected)
    {
        // The images' entry point runs the same program.
        Assert.Contains(File.ReadAllLines(Path.Combine(Sweep.RepositoryRoot, "docker", "Dockerfile")), l => l == "ENTRYPOINT [\"dotnet\", \"/app/sweep.dll\"]");
        var calls = Regex.Matches(text, $@"(?:dotnet /app/sweep\.dll|docker run .* {Regex.Escape(image)}|bin/Release/net10\.0/sweep) (\w+)([^'`""\n]*)").ToList();
        Assert.Equal(expected, calls.Select(c => c.Groups[1].Value));
        foreach (var call in calls)
        {
            var help = await Sweep.Run(call.Groups[1].Value, "--help");
            Assert.True(help.ExitCode == 0, help.Stderr);
            foreach (Match option in Regex.Matches(call.Groups[2].Value, @"(?<!\S)--[a-z-]+"))
                Assert.Matches($@"(?m)^\s+{Regex.Escape(option.Value)}\b", help.Stdout);
        }
    }
}
