using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using k8s.Models;
using SweepCluster.Cli.Tests;
using SweepCluster.Cluster.Hosting;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Deploy.Tests;

/// <summary>
/// helm/sweepcluster, checked statically (see <see cref="HelmChart"/>): the values against their
/// schema, every reference in the templates, and the chart against k8s/, which it must deploy alike.
/// </summary>
public sealed class HelmChartTests
{
    static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(HelmChart.Folder, "values.schema.json")));

    static EvaluationResults Validate(JsonNode? values) =>
        Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });

    static string Errors(EvaluationResults results) => string.Join("\n", (results.Details ?? [])
        .Where(d => d.Errors is not null)
        .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Key}: {e.Value}")));

    [Fact]
    public void Chart_yaml_is_a_v2_chart_named_sweepcluster_with_a_semver_version_and_an_app_version()
    {
        var chart = HelmChart.ParseYaml(File.ReadAllText(Path.Combine(HelmChart.Folder, "Chart.yaml")));
        string Field(string key) => ((YamlScalarNode)chart[key]).Value!;
        Assert.Equal("v2", Field("apiVersion"));
        Assert.Equal("sweepcluster", Field("name"));
        Assert.Equal(Path.GetFileName(HelmChart.Folder), Field("name"));
        // semver.org's regular expression for a version.
        Assert.Matches(@"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",
            Field("version"));
        Assert.False(string.IsNullOrWhiteSpace(Field("appVersion")));
    }

    [Fact]
    public void Values_yaml_satisfies_the_schema()
    {
        var results = Validate(HelmChart.ToJson(HelmChart.Values()));
        Assert.True(results.IsValid, Errors(results));
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
        Assert.False(Validate(values).IsValid, $"{path}: {yaml} was accepted");
    }

    [Fact]
    public void The_schema_accepts_an_external_database_with_its_host_and_secret()
    {
        var values = WithValue("postgresql.internal", "false");
        values["postgresql"]!["external"]!["host"] = "db.example.com";
        values["postgresql"]!["auth"]!["existingSecret"] = "sweep-db";
        var results = Validate(values);
        Assert.True(results.IsValid, Errors(results));
    }

    [Fact]
    public void The_schema_accepts_tls_from_a_kubernetes_io_tls_secret_or_a_pfx_with_its_password_file()
    {
        var values = WithValue("tls.enabled", "true");
        values["tls"]!["secretName"] = "sweepcluster-tls";
        var results = Validate(values);
        Assert.True(results.IsValid, Errors(results));
        values["tls"]!["certificate"] = "tls.pfx";
        values["tls"]!["key"] = "";
        values["tls"]!["passwordFile"] = "password";
        results = Validate(values);
        Assert.True(results.IsValid, Errors(results));
    }

    /// <summary>values.yaml with one value set, written as YAML and so typed as in a values file.</summary>
    static JsonNode WithValue(string path, string yaml)
    {
        var values = HelmChart.ToJson(HelmChart.Values())!;
        var keys = path.Split('.');
        var parent = keys[..^1].Aggregate(values, (node, key) => node[key]!);
        parent[keys[^1]] = HelmChart.ToJson(HelmChart.ParseYaml("v: " + yaml).Children[new YamlScalarNode("v")]);
        return values;
    }

    [Fact]
    public void Every_Values_reference_in_the_templates_exists_in_values_yaml()
    {
        var values = HelmChart.Values();
        var references = HelmChart.Templates().SelectMany(t => HelmChart.ValuesReferences(t.Key, t.Value)).ToList();
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
            """;
        var references = HelmChart.ValuesReferences("t.yaml", template).ToList();
        Assert.Contains(references, r => r is { Path: "workers.replicas", Error: null });
        Assert.Contains(references, r => r is { Line: 3, Error: not null });
        Assert.Contains(references, r => r is { Path: "workers.nodeSelector", Error: null });
        Assert.DoesNotContain(references, r => r.Path.EndsWith("key", StringComparison.Ordinal));
        Assert.Null(HelmChart.Resolve(HelmChart.Values(), references.Single(r => r.Line == 8).Path));
    }

    [Fact]
    public void Every_value_in_values_yaml_is_read_by_a_template()
    {
        var references = HelmChart.Templates().SelectMany(t => HelmChart.ValuesReferences(t.Key, t.Value)).Select(r => r.Path).ToHashSet();
        var unused = HelmChart.LeafPaths(HelmChart.Values())
            .Where(leaf => !references.Any(r => leaf == r || leaf.StartsWith(r + ".", StringComparison.Ordinal))).ToList();
        Assert.True(unused.Count == 0, "values no template reads: " + string.Join(", ", unused));
    }

    [Fact]
    public void Every_include_names_a_helper_passes_the_root_and_every_helper_is_used()
    {
        var defines = HelmChart.Defines();
        Assert.Contains("sweepcluster.fullname", defines.Keys);
        var templates = HelmChart.Templates();
        var used = templates.Values.SelectMany(HelmChart.IncludedNames).ToHashSet();
        Assert.Empty(used.Except(defines.Keys));
        Assert.Empty(defines.Keys.Except(used));
        // Helpers read .Values and .Release from `.`: each must be given the root.
        foreach (var (name, text) in templates)
            foreach (var action in HelmChart.Actions(text).Where(a => !a.Comment))
                foreach (Match m in HelmChart.IncludePattern().Matches(action.Text))
                    Assert.True(m.Groups[2].Value is "." or "$", $"{name}:{action.Line}: include \"{m.Groups[1].Value}\" {m.Groups[2].Value}");
        // Only the helpers file defines anything.
        Assert.All(templates.Where(t => t.Key != HelmChart.HelpersFile), t => Assert.DoesNotContain(HelmChart.Blocks(t.Value), b => b.Open.Keyword == "define"));
    }

    [Fact]
    public void Templates_are_balanced()
    {
        foreach (var (name, text) in HelmChart.Templates())
        {
            var blocks = HelmChart.Blocks(text);
            Assert.True(HelmChart.Actions(text).Count > 0, name);
            Assert.All(blocks, b => Assert.True(b.End.Start > b.Open.End, name));
        }
    }

    [Theory]
    [InlineData("{{ if .Values.a }}x", "if without end")]
    [InlineData("x\n{{ end }}", "end without a block")]
    [InlineData("{{ .Values.a }", "without")]
    [InlineData("a: {{ .Values.a }}}}", "outside an action")]
    [InlineData("{{ .Values.a {{ .Values.b }}", "inside an action")]
    [InlineData("{{ else }}", "else outside")]
    [InlineData("{{ with .Values.a }}{{ define \"x\" }}{{ end }}{{ end }}", "define inside a block")]
    [InlineData("{{ printf \"%s }}", "unterminated")]
    public void An_unbalanced_template_is_refused(string template, string message)
    {
        var e = Assert.Throws<FormatException>(() => HelmChart.Blocks(template));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_lexer_reads_trim_markers_comments_and_strings()
    {
        var actions = HelmChart.Actions("{{- /* a }} comment */ -}}\n{{- include \"x\" . | nindent 4 -}}{{ printf \"}}\" }}{{-3}}");
        Assert.Equal([true, false, false, false], actions.Select(a => a.Comment));
        Assert.Equal("include \"x\" . | nindent 4", actions[1].Text);
        Assert.Equal("printf \"}}\"", actions[2].Text);
        Assert.Equal("-3", actions[3].Text);
    }

    [Fact]
    public void The_chart_has_a_template_for_every_kind_in_k8s_but_the_namespace_which_is_the_release_s()
    {
        var chartKinds = HelmChart.ManifestTemplates()
            .SelectMany(t => Regex.Matches(HelmChart.Template(t), @"^kind: (\w+)\s*$", RegexOptions.Multiline).Select(m => m.Groups[1].Value))
            .ToList();
        var k8sKinds = Manifests.All().Select(o => o.Object.Kind).Where(k => k != "Namespace").ToList();
        Assert.Equal(k8sKinds.Order(StringComparer.Ordinal), chartKinds.Order(StringComparer.Ordinal));
        foreach (var template in HelmChart.ManifestTemplates())
        {
            var namespaces = Regex.Matches(HelmChart.Template(template), @"^\s*namespace: (.*)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim()).ToList();
            Assert.NotEmpty(namespaces);
            Assert.All(namespaces, n => Assert.Equal("{{ .Release.Namespace }}", n));
        }
    }

    /// <summary>The chart's template of each node workload of k8s/, helpers inlined.</summary>
    static readonly IReadOnlyDictionary<string, string> NodeTemplates = new Dictionary<string, string>
    {
        ["coordinator"] = "coordinator-statefulset.yaml",
        ["worker"] = "worker-deployment.yaml",
    };

    static string Expanded(string template) => HelmChart.Expand(HelmChart.Template(template), HelmChart.Defines());

    /// <summary>An env value as the defaults render it: a literal, or one .Values path (quoted or not); null for anything else.</summary>
    static string? DefaultValue(string? text)
    {
        if (text is null) return null;
        var single = Regex.Match(text, @"^\{\{-?\s*\.Values((?:\.\w+)+)(\s*\|\s*quote)?\s*-?\}\}$");
        if (single.Success) return (HelmChart.Resolve(HelmChart.Values(), single.Groups[1].Value[1..]) as YamlScalarNode)?.Value;
        return text.Contains("{{", StringComparison.Ordinal) ? null : ((YamlScalarNode)HelmChart.ParseYaml("v: " + text).Children[new YamlScalarNode("v")]).Value;
    }

    /// <summary>What tls.enabled adds to a template: off by default, like k8s/ without k8s/tls/.</summary>
    const string TlsEnabled = ".Values.tls.enabled";

    [Fact]
    public void Node_workloads_set_the_variables_k8s_sets_with_its_values_and_only_ones_NodeSettings_reads()
    {
        var unresolved = new List<string>();
        foreach (var (component, template) in NodeTemplates)
        {
            var env = HelmChart.Env(HelmChart.SplitAt(Expanded(template), TlsEnabled).Without);
            NodeEnvironment.AssertValid(component, env);
            var k8s = Manifests.NodeTemplates[component].Spec.Containers[0].Env;
            Assert.Equal(k8s.Select(e => e.Name).Order(StringComparer.Ordinal), env.Select(e => e.Name).Order(StringComparer.Ordinal));
            foreach (var entry in env)
            {
                var k8sEntry = k8s.Single(e => e.Name == entry.Name);
                Assert.True((entry.Value is null) == (k8sEntry.Value is null), $"{component} {entry.Name}: value or valueFrom as in k8s/");
                if (entry.Value is null) continue;
                if (DefaultValue(entry.Value) is { } value) Assert.Equal(k8sEntry.Value, value);
                else unresolved.Add($"{component} {entry.Name}");
            }
        }
        // Every plain value is compared but those built from names, which other tests check: the
        // discovery selector (which adds the release's instance label), the database connection,
        // the coordinator's address.
        Assert.Equal(["coordinator SWEEP_DATABASE_CONNECTION", "coordinator SWEEP_DISCOVERY_LABEL_SELECTOR", "coordinator SWEEP_PUBLIC_HOSTNAME",
            "worker SWEEP_DATABASE_CONNECTION", "worker SWEEP_DISCOVERY_LABEL_SELECTOR"], unresolved.Order(StringComparer.Ordinal));
    }

    /// <summary>A value with each {{ .Values.x }} in it replaced by the default.</summary>
    static string Rendered(string text) => Regex.Replace(text, @"\{\{\s*\.Values((?:\.\w+)+)\s*\}\}",
        m => ((YamlScalarNode)HelmChart.Resolve(HelmChart.Values(), m.Groups[1].Value[1..])!).Value!);

    [Fact]
    public void With_tls_enabled_the_nodes_and_the_example_job_get_what_the_k8s_tls_patch_adds()
    {
        Assert.Equal("false", ((YamlScalarNode)HelmChart.Resolve(HelmChart.Values(), "tls.enabled")!).Value);
        var patch = Manifests.TlsPatch.Spec.Template.Spec;
        var patchEnv = patch.Containers.Single().Env;
        var mount = patch.Containers.Single().VolumeMounts.Single();
        var volume = patch.Volumes.Single();
        foreach (var (component, template) in NodeTemplates)
        {
            var (without, tls) = HelmChart.SplitAt(Expanded(template), TlsEnabled);
            var env = HelmChart.Env(tls);
            NodeEnvironment.AssertValid(component, HelmChart.Env(without).Concat(env).ToList());
            Assert.All(env, e => Assert.StartsWith("SWEEP_TLS_", e.Name));
            // A password is passed as a file of the Secret, never in the environment.
            Assert.DoesNotContain(env, e => e.Name == "SWEEP_TLS_PASSWORD");
            // With the defaults (a kubernetes.io/tls Secret), the same files as the patch.
            foreach (var e in patchEnv) Assert.Equal(e.Value, Rendered(env.Single(x => x.Name == e.Name).Value!));
            Assert.All(env.Where(e => e.Value!.StartsWith('/')), e => Assert.StartsWith(mount.MountPath + "/", e.Value));
            Assert.Matches($@"- name: {mount.Name}\s*mountPath: {Regex.Escape(mount.MountPath)}\s*readOnly: true", tls);
            Assert.Matches($@"- name: {volume.Name}\s*secret:\s*secretName: .*\.Values\.tls\.secretName.*\s*(#.*\s*)?defaultMode: {volume.Secret.DefaultMode}\s", tls);
        }
        // The example Job's client presents the same certificate from the same mount.
        var job = HelmChart.Template("submit-job.yaml");
        foreach (var helper in new[] { "sweepcluster.tlsEnv", "sweepcluster.tlsVolumeMount", "sweepcluster.tlsVolume" })
            Assert.Contains($"include \"{helper}\" .", job);
    }

    [Fact]
    public void The_postgresql_workload_sets_the_variables_k8s_sets_from_the_credentials_secret()
    {
        var env = HelmChart.Env(Expanded("postgresql-statefulset.yaml"));
        var k8s = Manifests.Single<V1StatefulSet>("sweepcluster-postgresql").Spec.Template.Spec.Containers[0].Env;
        Assert.Equal(k8s.Select(e => e.Name), env.Select(e => e.Name));
        var secret = HelmChart.Template("postgresql-secret.yaml");
        var stringData = secret[secret.IndexOf("\nstringData:\n", StringComparison.Ordinal)..];
        var secretKeys = Regex.Matches(stringData, @"^  (\w+): \{\{", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(Manifests.Single<V1Secret>("sweepcluster-postgresql").StringData.Keys.Order(StringComparer.Ordinal), secretKeys.Order(StringComparer.Ordinal));
        foreach (var template in NodeTemplates.Values.Append("postgresql-statefulset.yaml"))
        {
            var keys = Regex.Matches(Expanded(template), @"secretKeyRef:\s*name: (.+)\s*key: (\w+)").ToList();
            Assert.NotEmpty(keys);
            Assert.All(keys, k => Assert.Equal("{{ include \"sweepcluster.postgresqlSecretName\" . }}", k.Groups[1].Value.Trim()));
            Assert.All(keys, k => Assert.Contains(k.Groups[2].Value, secretKeys));
        }
        Assert.Contains("{{ include \"sweepcluster.postgresqlSecretName\" . }}", HelmChart.Template("postgresql-secret.yaml"));
        Assert.Contains("Password=$(DATABASE_PASSWORD)", HelmChart.Defines()["sweepcluster.databaseConnection"]);
        Assert.Contains("volumeClaimTemplates:", HelmChart.Template("postgresql-statefulset.yaml"));
    }

    /// <summary>The .Values path of a "{{ .Values.x }}" (or quoted) value.</summary>
    static string ValuesPath(string text) => Regex.Match(text, @"^\{\{\s*\.Values\.([\w.]+)(\s*\|\s*quote)?\s*\}\}$") is { Success: true } m
        ? m.Groups[1].Value
        : throw new FormatException($"'{text}' is not one .Values path");

    [Fact]
    public void Named_ports_match_the_service_the_network_policy_the_probes_and_the_node_settings()
    {
        string[] clusterPorts = [SweepAkka.RemotingPortName, SweepAkka.ManagementPortName];
        var variableOfPort = new Dictionary<string, string>
        {
            [SweepAkka.RemotingPortName] = "SWEEP_PORT",
            [SweepAkka.ManagementPortName] = "SWEEP_MANAGEMENT_PORT",
            [SweepAkka.HealthPortName] = "SWEEP_HEALTH_PORT",
        };
        var service = HelmChart.Template("service.yaml");
        var servicePorts = Regex.Matches(service, @"- name: (\S+)\s*port: (.+)\s*targetPort: (\S+)").ToList();
        Assert.Equal(clusterPorts, servicePorts.Select(m => m.Groups[1].Value));
        Assert.Equal(clusterPorts, servicePorts.Select(m => m.Groups[3].Value));
        foreach (var (component, template) in NodeTemplates)
        {
            var text = Expanded(template);
            var ports = Regex.Matches(text, @"- name: ([a-z-]+)\s*containerPort: (.+)").ToDictionary(m => m.Groups[1].Value, m => ValuesPath(m.Groups[2].Value.Trim()));
            Assert.Equal(variableOfPort.Keys.Order(StringComparer.Ordinal), ports.Keys.Order(StringComparer.Ordinal));
            var env = HelmChart.Env(text).ToDictionary(e => e.Name, e => e.Value);
            foreach (var (port, variable) in variableOfPort) Assert.Equal(ports[port], ValuesPath(env[variable]!));
            foreach (var m in servicePorts) Assert.Equal(ports[m.Groups[1].Value], ValuesPath(m.Groups[2].Value.Trim()));
            var probes = Regex.Matches(text, @"path: (/\w+)\s*port: (\S+)").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
            Assert.Equal([("/alive", SweepAkka.HealthPortName), ("/ready", SweepAkka.HealthPortName)], probes);
        }
        var policy = HelmChart.Template("networkpolicy.yaml");
        var policyPorts = Regex.Matches(policy, @"- port: (\S+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal([.. clusterPorts, SweepAkka.HealthPortName], policyPorts);
        // Remoting and management admit only this release's pods; health is open to the kubelet.
        Assert.Matches(@"- from:\s*- podSelector:\s*matchLabels:\s*\{\{- include ""sweepcluster.selectorLabels"" \. \| nindent \d+ \}\}\s*ports:\s*- port: akka-remote\s*protocol: TCP\s*- port: management\s*protocol: TCP\s*- ports:\s*- port: health", policy);
    }

    [Fact]
    public void Member_labels_select_the_node_pods_and_not_the_client_and_bootstrap_lists_the_same()
    {
        var defines = HelmChart.Defines();
        Assert.Contains("include \"sweepcluster.memberLabel\"", defines["sweepcluster.memberSelectorLabels"]);
        // The selector string is made from the labels themselves.
        Assert.Contains("include \"sweepcluster.memberSelectorLabels\" . | fromYaml", defines["sweepcluster.discoveryLabelSelector"]);
        foreach (var template in NodeTemplates.Values)
        {
            var text = HelmChart.Template(template);
            var podLabels = text[text.IndexOf("\n  template:", StringComparison.Ordinal)..text.IndexOf("\n    spec:", StringComparison.Ordinal)];
            Assert.Contains("include \"sweepcluster.labels\"", podLabels);
            Assert.Contains("include \"sweepcluster.memberLabel\"", podLabels);
        }
        var job = HelmChart.Template("submit-job.yaml");
        Assert.DoesNotContain("sweepcluster.member", job);
        Assert.Contains("include \"sweepcluster.selectorLabels\"", defines["sweepcluster.labels"]);
        foreach (var (template, selector) in new[] { ("service.yaml", "selector:"), ("pdb.yaml", "matchLabels:"), ("networkpolicy.yaml", "podSelector:\n    matchLabels:") })
            Assert.Matches(Regex.Escape(selector) + @"\s*\{\{- include ""sweepcluster.memberSelectorLabels"" \.", HelmChart.Template(template));
    }

    [Fact]
    public void Workers_get_gpus_and_placement_from_values_and_every_node_runs_non_root_with_only_tmp_writable()
    {
        var worker = HelmChart.Template("worker-deployment.yaml");
        Assert.Matches(@"set \$resources ""limits"" \(merge \(dict ""nvidia.com/gpu"" \(toString \.Values\.workers\.gpus\)\)", worker);
        Assert.Equal("auto", HelmChart.Env(worker).Single(e => e.Name == "SWEEP_DEVICES").Value);
        Assert.Contains("image: {{ include \"sweepcluster.workerImage\" . }}", worker);
        Assert.Equal("-cuda", DefaultValue("{{ .Values.workers.imageTagSuffix }}"));
        foreach (var (component, template) in NodeTemplates)
        {
            var text = HelmChart.Template(template);
            var section = component == "worker" ? "workers" : component;
            foreach (var placement in new[] { "nodeSelector", "tolerations", "affinity" })
                Assert.Matches($@"\{{\{{- with \.Values\.{section}\.{placement} \}}\}}\s*{placement}:\s*\{{\{{- toYaml \. \| nindent 8 \}}\}}", text);
            var expanded = Expanded(template);
            Assert.Contains("securityContext:\n  {{- toYaml .Values.podSecurityContext | nindent 2 }}", expanded);
            Assert.Contains("securityContext:\n  {{- toYaml .Values.securityContext | nindent 2 }}", expanded);
            Assert.Matches(@"volumeMounts:\s*- name: tmp\s*mountPath: /tmp\s", expanded);
            Assert.Matches(@"- name: tmp\s*emptyDir: \{\{ toJson \.Values\.tmpVolume \}\}", expanded);
            // The node's one writable path of its own, the image cache, lies in /tmp.
            Assert.StartsWith("/tmp/", HelmChart.Env(expanded).Single(e => e.Name == "SWEEP_CACHE_DIRECTORY").Value);
            Assert.Contains("terminationGracePeriodSeconds: {{ .Values.cluster.terminationGracePeriodSeconds }}", expanded);
        }
        var values = HelmChart.Values();
        Assert.Equal("true", ((YamlScalarNode)HelmChart.Resolve(values, "podSecurityContext.runAsNonRoot")!).Value);
        Assert.Equal("true", ((YamlScalarNode)HelmChart.Resolve(values, "securityContext.readOnlyRootFilesystem")!).Value);
        Assert.Equal("nvidia.com/gpu", ((YamlScalarNode)((YamlSequenceNode)HelmChart.Resolve(values, "workers.tolerations")!)[0]["key"]).Value);
        // Workers drain for up to 10 s (SweepAkka.ConfigureWorkers) before the node leaves.
        Assert.True(int.Parse(((YamlScalarNode)HelmChart.Resolve(values, "cluster.terminationGracePeriodSeconds")!).Value!) > 30);
    }

    [Fact]
    public void The_example_job_submits_the_example_spec_to_the_first_coordinator()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(Sweep.RepositoryRoot, "examples", "seed-experiment.yaml")),
            File.ReadAllText(Path.Combine(HelmChart.Folder, "files", "seed-experiment.yaml")));
        foreach (var text in HelmChart.Templates().Values)
            foreach (Match m in Regex.Matches(text, @"\.Files\.Get ""([^""]+)"""))
                Assert.True(File.Exists(Path.Combine(HelmChart.Folder, m.Groups[1].Value)), m.Groups[1].Value);
        Assert.Contains("seed-experiment.yaml: |\n    {{- .Files.Get \"files/seed-experiment.yaml\" | nindent 4 }}", HelmChart.Template("example-configmap.yaml"));

        var job = HelmChart.Template("submit-job.yaml");
        Assert.Matches(@"args:\s*- submit\s*- /spec/seed-experiment.yaml\s*- --cluster\s*- \{\{ include ""sweepcluster.coordinatorAddress"" \. \}\}\s*- --client-hostname\s*- \$\(POD_IP\)", job);
        Assert.Matches(@"configMap:\s*name: \{\{ include ""sweepcluster.fullname"" \. \}\}-example", job);
        Assert.Contains("name: {{ include \"sweepcluster.fullname\" . }}-example", HelmChart.Template("example-configmap.yaml"));
        // The address names the coordinator StatefulSet's first pod through the headless Service.
        // With TLS, Akka.Remote's addresses (and so the client's contact point) are akka.ssl.tcp.
        Assert.Contains("\"%s://sweep@%s-coordinator-0.%s.%s.svc.%s:%v\" $protocol $fullname $fullname .Release.Namespace .Values.clusterDomain .Values.cluster.remotingPort",
            HelmChart.Defines()["sweepcluster.coordinatorAddress"]);
        Assert.Contains($"$protocol := ternary \"{RemoteTls.Protocol}\" \"{RemoteTls.PlainProtocol}\" .Values.tls.enabled",
            HelmChart.Defines()["sweepcluster.coordinatorAddress"]);
        var coordinator = HelmChart.Template("coordinator-statefulset.yaml");
        Assert.Contains("  name: {{ include \"sweepcluster.fullname\" . }}-coordinator\n", coordinator);
        Assert.Contains("  serviceName: {{ include \"sweepcluster.fullname\" . }}\n", coordinator);
        Assert.Contains("  name: {{ include \"sweepcluster.fullname\" . }}\n", HelmChart.Template("service.yaml"));
        Assert.StartsWith("%s://" + SweepAkka.SystemName + "@", Regex.Match(HelmChart.Defines()["sweepcluster.coordinatorAddress"], "\"(%s://[^\"]+)\"").Groups[1].Value);
    }

    [Fact]
    public async Task Notes_run_only_commands_and_options_the_sweep_program_has()
    {
        var notes = HelmChart.Template("NOTES.txt");
        // The images' entry point runs the same program the notes run.
        Assert.Contains(File.ReadAllLines(Path.Combine(Sweep.RepositoryRoot, "docker", "Dockerfile")), l => l == "ENTRYPOINT [\"dotnet\", \"/app/sweep.dll\"]");
        var calls = Regex.Matches(notes, @"dotnet /app/sweep\.dll (\w+)([^'\n]*)").ToList();
        Assert.Equal(["submit", "list", "watch", "results"], calls.Select(c => c.Groups[1].Value));
        foreach (var call in calls)
        {
            var help = await Sweep.Run(call.Groups[1].Value, "--help");
            Assert.True(help.ExitCode == 0, help.Stderr);
            foreach (Match option in Regex.Matches(call.Groups[2].Value, @"(?<!\S)--[a-z-]+"))
                Assert.Matches($@"(?m)^\s+{Regex.Escape(option.Value)}\b", help.Stdout);
        }
        Assert.Contains("helm upgrade {{ .Release.Name }} CHART -n {{ $ns }} --reuse-values --set workers.replicas=N", notes);
    }
}
